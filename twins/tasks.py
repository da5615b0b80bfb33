"""Celery tasks of a scoring run: start, one task per shard, publish. Thin: logic lives in
:mod:`twins.scoring`.

The shard and publish tasks acknowledge late and are re-queued when their worker dies, so a
killed worker's shard runs again elsewhere; staging and publishing are idempotent. A task lost
for good (see :func:`twins.scoring.stalled_runs`) is queued again by ``resume_stalled_runs``,
which beat runs every few minutes. Transient database errors are retried with backoff; any
other failure marks the run failed, which leaves the previous results published.
"""

from celery import Task, chord, shared_task
from django.db import InterfaceError, OperationalError

from . import scoring

TRANSIENT = (OperationalError, InterfaceError)


class ScoringTask(Task):
    """Late acknowledgement, re-queue on worker loss, retry on transient database errors."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT
    retry_backoff = 2
    retry_backoff_max = 60
    max_retries = 5

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is not None:
            scoring.fail_run(run_id, f"{self.name} failed: {exc!r}")


@shared_task(name="twins.tasks.start_scoring_run")
def start_scoring_run(as_of=None, shards=None, horizon=None):
    """Start a run (as_of ``YYYY-MM-DD``, default last Sunday) and fan it out over shards."""
    run = scoring.start_run(scoring.parse_as_of(as_of), shards, horizon)
    if run.status == run.Status.RUNNING:
        try:
            dispatch(run.pk, range(run.shards_total))
        except Exception as exc:  # raised here only when tasks run in-process
            scoring.fail_run(run.pk, repr(exc))
            raise
        run.refresh_from_db()  # in-process execution has published already
    return {"run": run.pk, "status": run.status, "error": run.error}


def dispatch(run_id, shards):
    """Queue the given shard tasks of ``run_id`` and the publishing task that follows them."""
    finish = publish_run.si(run_id)
    if not shards:
        return finish.apply_async()
    return chord([score_shard.si(run_id, shard) for shard in shards])(finish)


@shared_task(name="twins.tasks.resume_stalled_runs")
def resume_stalled_runs():
    """Fail the runs dead for ``SCORING_STALE_AFTER`` seconds; queue again the missing shards
    (and the publishing) of those that stopped moving for ``SCORING_RESUME_AFTER``."""
    scoring.reap_stale_runs()
    stalled = scoring.stalled_runs()
    for run_id, shards in stalled:
        dispatch(run_id, shards)
    return {"resumed": [{"run": run_id, "shards": shards} for run_id, shards in stalled]}


@shared_task(base=ScoringTask, name="twins.tasks.score_shard")
def score_shard(run_id, shard):
    return scoring.score_shard(run_id, shard)


@shared_task(base=ScoringTask, bind=True, name="twins.tasks.publish_run", max_retries=60)
def publish_run(self, run_id):
    """Publish ``run_id``. If some shard's result is missing (a re-delivered shard still
    running) wait for it; the chord may fire early when a shard ran twice."""
    try:
        run = scoring.publish_run(run_id)
    except scoring.ShardsMissing as exc:
        raise self.retry(exc=exc, countdown=5) from None
    return {"run": run.pk, "status": run.status}
