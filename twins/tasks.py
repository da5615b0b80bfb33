"""Celery tasks of a scoring run: start, one task per shard, publish. Thin: logic lives in
:mod:`twins.runs` (the shard and publish tasks in :mod:`twins.runs.queue`).

The shard and publish tasks acknowledge late and are re-queued when their worker dies, so a
killed worker's shard runs again elsewhere; staging and publishing are idempotent. A task lost
for good (see :func:`twins.runs.stalled_runs`) is queued again by ``resume_stalled_runs``,
which beat runs every few minutes. Transient database errors are retried with backoff; any
other failure marks the run failed, which leaves the previous results published.
"""

from celery import shared_task

from . import runs
from .runs.queue import ScoringTask, dispatch, publish_run, score_shard

__all__ = [
    "ScoringTask",
    "dispatch",
    "publish_run",
    "resume_stalled_runs",
    "score_shard",
    "start_scoring_run",
]


@shared_task(name="twins.tasks.start_scoring_run")
def start_scoring_run(as_of=None, shards=None, horizon=None):
    """Start a run (as_of ``YYYY-MM-DD``, default last Sunday) and fan it out over shards."""
    run = runs.launch(runs.parse_as_of(as_of), shards, horizon)
    return {"run": run.pk, "status": run.status, "error": run.error}


@shared_task(name="twins.tasks.resume_stalled_runs")
def resume_stalled_runs():
    """Fail the runs dead for ``SCORING_STALE_AFTER`` seconds; queue again the missing shards
    (and the publishing) of those that stopped moving for ``SCORING_RESUME_AFTER``."""
    runs.reap_stale_runs()
    stalled = runs.stalled_runs()
    for run_id, shards in stalled:
        dispatch(run_id, shards)
    return {"resumed": [{"run": run_id, "shards": shards} for run_id, shards in stalled]}
