"""The insights engine's default beat schedule, in the form of ``deals.schedules``: after the
nightly twins scoring (02:30), so the merge with their stop-buying alerts sees tonight's."""

SCHEDULES = {
    "Nightly client insights refit": (
        "insights.tasks.refit_insights",
        {
            "minute": "30",
            "hour": "3",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        "Refit client segments and churn-risk tiers; raise HIGH-risk alerts.",
    ),
}
