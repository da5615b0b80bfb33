"""A run over Celery: the shard and publish tasks and :func:`dispatch`, which queues them.

The shard and publish tasks acknowledge late and are re-queued when their worker dies, so a
killed worker's shard runs again elsewhere; staging and publishing are idempotent. Transient
database errors are retried with backoff; any other failure marks the run failed, which leaves
the previous results published. The task names stay ``twins.tasks.*`` (``twins/tasks.py``
re-exports them for Celery's autodiscovery and the schedules).
"""

from celery import Task, chord, shared_task
from django.db import InterfaceError, OperationalError

from . import lifecycle, publish, shard

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
            lifecycle.fail_run(run_id, f"{self.name} failed: {exc!r}")


@shared_task(base=ScoringTask, name="twins.tasks.score_shard")
def score_shard(run_id, shard_no):
    return shard.score_shard(run_id, shard_no)


@shared_task(base=ScoringTask, bind=True, name="twins.tasks.publish_run", max_retries=60)
def publish_run(self, run_id):
    """Publish ``run_id``. If some shard's result is missing (a re-delivered shard still
    running) wait for it; the chord may fire early when a shard ran twice."""
    try:
        run = publish.publish_run(run_id)
    except lifecycle.ShardsMissing as exc:
        raise self.retry(exc=exc, countdown=5) from None
    return {"run": run.pk, "status": run.status}


def dispatch(run_id, shards):
    """Queue the given shard tasks of ``run_id`` and the publishing task that follows them."""
    finish = publish_run.si(run_id)
    if not shards:
        return finish.apply_async()
    return chord([score_shard.si(run_id, shard_no) for shard_no in shards])(finish)
