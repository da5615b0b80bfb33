"""Celery task of the voice engine (thin: the logic lives in :mod:`voice.services`)."""

from celery import shared_task

from . import services


@shared_task(name="voice.tasks.run_voice")
def run_voice(as_of=None):
    """Analyse pending texts and publish detractor alerts as of ``as_of`` (``YYYY-MM-DD``,
    default: today, or the latest order's week when the data ends earlier). Idempotent."""
    run = services.run(as_of)
    return {"run": run.pk, "status": run.status, "alerts_created": run.alerts_created}
