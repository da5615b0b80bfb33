"""Celery tasks of the deals engine (thin: the logic lives in :mod:`deals.services`)."""

from celery import shared_task

from . import services


@shared_task(name="deals.tasks.score_pipeline")
def score_pipeline(as_of=None):
    """Refit and score the pipeline as of ``as_of`` (``YYYY-MM-DD``, default today)."""
    run = services.score_pipeline(as_of)
    return {"run": run.pk, "status": run.status, "alerts_created": run.alerts_created}


@shared_task(name="deals.tasks.send_weekly_summaries")
def send_weekly_summaries(as_of=None):
    """E-mail each manager the weekly pipeline summary (as_of ``YYYY-MM-DD``, default today)."""
    from datetime import date

    from . import weekly

    return {"sent": weekly.send_weekly_summaries(date.fromisoformat(as_of) if as_of else None)}
