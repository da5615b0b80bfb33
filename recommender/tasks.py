"""Celery tasks of the recommender: thin wrappers around :mod:`recommender.services`."""

from celery import shared_task

from . import services


@shared_task
def harvest_outcomes(as_of=None):
    """Judge the outcomes whose window closed by ``as_of`` (ISO date; default: today, or the latest
    order's week when the data ends earlier)."""
    return services.harvest_outcomes(as_of=as_of)


@shared_task
def fold_rewards():
    """Fold pending reward events into the posteriors."""
    return services.fold_rewards()


from .propensity.tasks import refit_propensity  # noqa: E402, F401  (Celery discovers it here)
