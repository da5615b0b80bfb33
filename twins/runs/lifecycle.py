"""A run's life: start (one at a time), fail, reap the dead, find the stalled."""

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm import selectors as crm_selectors
from crm.bulkload import analyze
from crm.models import Alert, Client
from crm.signals import run_failed
from twins.models import ScoringRun, TwinState

_LOCK_KEY = 0x7477696E  # "twin": PostgreSQL advisory lock serialising run starts/publishes


class ShardsMissing(Exception):
    """Publishing was asked for before every shard had staged its result."""


def default_as_of(today=None):
    """The last Sunday on or before ``today`` (the end of the last complete ISO week)."""
    today = today or timezone.localdate()
    return today - timedelta(days=(today.weekday() + 1) % 7)


def parse_as_of(value):
    """A date from ``YYYY-MM-DD`` (``None`` or empty -> the default as_of)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of: {value!r} is not a date in YYYY-MM-DD form.") from None


def lock():
    """Serialise run starts and publishes across processes (a no-op on SQLite, which has a
    single writer anyway). Call inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def reap_stale_runs(now=None):
    """Fail active runs that showed no sign of life for ``SCORING_STALE_AFTER`` seconds."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.SCORING_STALE_AFTER)
    reaped = 0
    for run in ScoringRun.objects.filter(status__in=ScoringRun.ACTIVE_STATUSES):
        seen = run.heartbeat_at or run.created_at
        if seen < limit:
            reaped += fail_run(
                run.pk,
                f"No sign of life since {timezone.localtime(seen):%Y-%m-%d %H:%M:%S}; "
                "a worker was probably lost. Previous results stay published.",
            )
    return reaped


def stalled_runs(now=None):
    """``[(run id, shards to queue again)]`` for the running or publishing runs with no sign of
    life for ``SCORING_RESUME_AFTER`` seconds: the shards not staged yet (none when only the
    publishing is missing).

    Kombu's Redis transport loses a task for good when its worker dies between taking it off the
    queue and recording it as unacknowledged. Shards and publishing are idempotent, so a shard
    that was only slow runs twice at worst; ``SCORING_RESUME_AFTER`` must exceed the longest
    shard. A run that still does not move is failed by :func:`reap_stale_runs`.
    """
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.SCORING_RESUME_AFTER)
    runs = ScoringRun.objects.filter(
        status__in=(ScoringRun.Status.RUNNING, ScoringRun.Status.PUBLISHING),
        heartbeat_at__lt=limit,
    )
    stalled = []
    for run in runs:
        staged = set(run.shard_results.values_list("shard", flat=True))
        missing = [shard for shard in range(run.shards_total) if shard not in staged]
        stalled.append((run.pk, [] if run.status == ScoringRun.Status.PUBLISHING else missing))
    return stalled


def start_run(as_of=None, shards=None, horizon=None):
    """Create a run for ``as_of`` split into ``shards`` client shards, or a stopped one.

    Returns the run: ``running`` when the caller should score its shards, ``superseded`` (with
    the reason in ``error``) when another run is still alive.
    """
    # A historical extract is scored on its own last week, not the calendar's.
    as_of = as_of or crm_selectors.data_as_of(default_as_of())
    shards = shards or settings.SCORING_SHARDS
    horizon = horizon or settings.SCORING_HORIZON
    if shards < 1 or horizon < 1:
        raise ValueError("shards and horizon must be at least 1.")
    now = timezone.now()
    with transaction.atomic():
        lock()
        reap_stale_runs(now)
        run = ScoringRun(as_of=as_of, horizon=horizon, started_at=now, heartbeat_at=now)
        active = ScoringRun.objects.filter(status__in=ScoringRun.ACTIVE_STATUSES).first()
        if active is not None:
            run.status = ScoringRun.Status.SUPERSEDED
            run.finished_at = now
            run.error = (
                f"Stopped: run #{active.pk} (as of {active.as_of}) is still {active.status}; "
                "try again when it has finished."
            )
            run.save()
            return run
        ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
        n = min(shards, len(ids))
        run.shard_bounds = [ids[k * len(ids) // n] for k in range(n)]
        run.shards_total = n
        run.status = ScoringRun.Status.RUNNING
        run.save()
    analyze(Alert, TwinState)
    return run


def fail_run(run_id, error):
    """Mark an active run failed with ``error``; published results are untouched."""
    failed = ScoringRun.objects.filter(pk=run_id, status__in=ScoringRun.ACTIVE_STATUSES).update(
        status=ScoringRun.Status.FAILED, error=str(error)[:4000], finished_at=timezone.now()
    )
    if failed:
        run_failed.send(sender=ScoringRun, engine="twins", run_id=run_id, error=str(error)[:200])
    return failed
