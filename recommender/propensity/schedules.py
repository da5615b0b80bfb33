"""The propensity refit's beat schedule: nightly, after the twins' scoring run (02:30), in the
form of ``twins``' ``install_schedules`` so the schedules can be merged."""

SCHEDULES = {
    "Nightly cross-sell propensity refit": (
        "recommender.propensity.refit",
        {
            "minute": "15",
            "hour": "3",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        "Refit the cross-sell propensity model on replayed past dates, score every client's "
        "families not yet bought, publish the cross-sell alerts.",
    ),
}
