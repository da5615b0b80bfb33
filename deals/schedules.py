"""The deals engine's default beat schedule (name -> (task, crontab fields, description)),
in the form of ``twins``' ``install_schedules`` so the two can be merged."""

SCHEDULES = {
    "Daily deal-risk refit and score": (
        "deals.tasks.score_pipeline",
        {"minute": "0", "hour": "4", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "Refit the deal-risk model on closed deals, score the open pipeline, publish alerts.",
    ),
    "Weekly pipeline summary to managers": (
        "deals.tasks.send_weekly_summaries",
        {"minute": "0", "hour": "7", "day_of_week": "1", "day_of_month": "*", "month_of_year": "*"},
        "E-mail each manager the week's win-rate trend, PQS, SEI, forecast and risky deals.",
    ),
}
