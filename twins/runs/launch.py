"""Start a run and carry it out: the one entry point of the task, the API, the ``score``
command and the benchmark."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from twins.models import ScoringRun

from . import lifecycle, publish, queue, shard

#: Errors of a task queue (broker or result backend) that cannot be reached.
QUEUE_DOWN = (BrokerError, RedisError, ConnectionError)

#: Seconds between two looks at a run queued on the workers (``wait=True``).
POLL_SECONDS = 0.1


def launch(as_of=None, shards=None, horizon=None, *, inline=False, wait=False, progress=None):
    """Start a run (see :func:`~twins.runs.lifecycle.start_run`) and carry it out; return it.

    ``inline``: score every shard and publish in this process. Otherwise queue the shards on
    the Celery workers (in-process when Celery runs tasks eagerly) and return at once, or with
    ``wait`` once the run is over, failing it when no worker shows progress for
    ``SCORING_STALE_AFTER`` seconds. The returned run's ``started`` attribute is False when it
    could not start (another run is active): it comes back ``superseded``, the reason in
    ``error``. ``progress(run, shards_done)`` (optional) is called once the run has
    started and then as shards finish. An error or an interruption while this call carries the
    run out marks it failed and is re-raised.
    """
    run = lifecycle.start_run(as_of, shards, horizon)
    if run.status != ScoringRun.Status.RUNNING:
        run.started = False
        return run
    run = _carry_out(run, inline, wait, progress)
    run.started = True
    return run


def _carry_out(run, inline, wait, progress):
    if progress is not None:
        progress(run, 0)
    try:
        if inline:
            for shard_no in range(run.shards_total):
                shard.score_shard(run.pk, shard_no)
                if progress is not None:
                    progress(run, shard_no + 1)
            return publish.publish_run(run.pk)
        try:
            queue.dispatch(run.pk, range(run.shards_total))
        except QUEUE_DOWN:
            if wait:
                raise
            # Saved but not queued: the resume sweep queues its shards once the broker is back.
            run.queued = False
            return run
        run.refresh_from_db()  # in-process (eager) execution has published already
        return _wait(run, progress) if wait else run
    except KeyboardInterrupt:
        lifecycle.fail_run(run.pk, "Interrupted from the command line.")
        raise
    except Exception as exc:
        lifecycle.fail_run(run.pk, repr(exc))
        raise


def _wait(run, progress):
    """Poll ``run`` until it is over."""
    stale = timedelta(seconds=settings.SCORING_STALE_AFTER)
    while run.is_active:
        if progress is not None:
            progress(run, run.shards_done)
        if timezone.now() - run.heartbeat_at > stale:
            lifecycle.fail_run(run.pk, f"No worker progress for {stale}; is a worker running?")
        time.sleep(POLL_SECONDS)
        run.refresh_from_db()
    if progress is not None:
        progress(run, run.shards_done)
    return run
