"""Read-side queries about scoring runs."""

from .models import ScoringRun


def latest_run():
    """The most recently created run that was not refused at start, or ``None``."""
    return (
        ScoringRun.objects.exclude(status=ScoringRun.Status.SUPERSEDED, shards_total=0)
        .order_by("-created_at", "-pk")
        .first()
    )
