"""Celery task of the propensity model (thin: the logic lives in :mod:`.services`)."""

from celery import shared_task

from . import services


@shared_task(name="recommender.propensity.refit")
def refit_propensity(as_of=None):
    """Refit the cross-sell model, score and publish as of ``as_of`` (``YYYY-MM-DD``, default
    today). Each call is a new versioned model; alerts are refreshed, never duplicated."""
    run = services.refit_and_score(as_of)
    return {
        "version": run.version,
        "status": run.status,
        "kind": run.kind,
        "alerts_created": run.alerts_created,
    }
