"""Briefings' default beat schedule (name -> (task, crontab fields, description)), in the form
of ``twins``' ``install_schedules`` (like ``deals.schedules``) so the lists can be merged."""

_MONDAY = {"day_of_week": "1", "day_of_month": "*", "month_of_year": "*"}

SCHEDULES = {
    "Weekly spoken brief per rep": (
        "briefings.tasks.weekly_briefs",
        {"minute": "30", "hour": "6", **_MONDAY},
        "Monday: synthesise each rep's spoken brief of their top five queue items.",
    ),
    "Weekly digest e-mail": (
        "briefings.tasks.send_digests",
        {"minute": "45", "hour": "6", **_MONDAY},
        "Monday: e-mail each rep and manager who wants it their weekly digest.",
    ),
    "Daily snooze reminders": (
        "briefings.tasks.notify_snoozes_ended",
        {
            "minute": "15",
            "hour": "6",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        "Notify reps of alerts whose snooze ended (they are back at the top of the queue).",
    ),
}
