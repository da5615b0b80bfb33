"""The beat-schedule registry: engines add their default periodic tasks here.

``manage.py install_schedules`` installs its own defaults and every schedule registered here,
so one command sets up the whole beat. An engine registers in its ``AppConfig.ready()``::

    from crm import schedules

    schedules.register(
        "Daily deal-risk refit and score",        # the PeriodicTask's name (unique)
        "deals.tasks.score_pipeline",             # the Celery task
        {"minute": "0", "hour": "4", "day_of_week": "*", "day_of_month": "*",
         "month_of_year": "*"},                   # crontab fields, in settings.TIME_ZONE
        "Refit the deal-risk model and publish the deal alerts.",
    )
"""

_REGISTRY: dict[str, tuple[str, dict, str]] = {}


def register(name: str, task: str, crontab: dict, description: str = "") -> None:
    """Add the schedule ``name``; registering the same name with another task is an error."""
    existing = _REGISTRY.get(name)
    if existing is not None and existing[0] != task:
        raise ValueError(f"schedule {name!r} is registered for {existing[0]!r} already")
    _REGISTRY[name] = (task, dict(crontab), description)


def registered() -> dict[str, tuple[str, dict, str]]:
    """``{name: (task, crontab fields, description)}`` of every registered schedule."""
    return dict(_REGISTRY)
