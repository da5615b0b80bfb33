"""Celery tasks of the insights engine (thin: the logic lives in :mod:`insights.services`)."""

from celery import shared_task

from . import services


@shared_task(name="insights.tasks.refit_insights")
def refit_insights(as_of=None):
    """Refit segments and churn risk as of ``as_of`` (``YYYY-MM-DD``; default: today, or the latest
    order's week when the data ends earlier)."""
    run = services.refit(as_of)
    return {"run": run.pk, "status": run.status, "alerts_created": run.alerts_created}
