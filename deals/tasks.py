"""Celery tasks of the deals engine (thin: the logic lives in :mod:`deals.services`)."""

from celery import shared_task

from . import services


@shared_task(name="deals.tasks.score_pipeline")
def score_pipeline(as_of=None):
    """Refit and score the pipeline as of ``as_of`` (``YYYY-MM-DD``, default today)."""
    run = services.score_pipeline(as_of)
    return {"run": run.pk, "status": run.status, "alerts_created": run.alerts_created}
