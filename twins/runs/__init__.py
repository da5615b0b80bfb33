"""Database scoring runs: orders -> one PairBatch per client shard -> score_pairs -> publish.

A run is a :class:`~twins.models.ScoringRun` row. :func:`launch` starts one and carries it out,
in this process or over the Celery workers; the nightly task, the API, the ``score`` command
and the benchmark all call it. The steps, each in its module:

* :mod:`~twins.runs.lifecycle`: :func:`start_run` creates the run and splits the clients into
  contiguous id ranges (shards); it refuses to start while another run is alive, and fails
  runs that stopped showing life (:func:`reap_stale_runs`, :func:`stalled_runs`).
* :mod:`~twins.runs.read` reads one shard's order lines, families, campaigns and potentials
  into a batch (through :func:`twins.stats.batch.batch_from_orders`).
* :mod:`~twins.runs.shard`: :func:`score_shard` fits one shard's twins and stages the scores
  in a :class:`~twins.models.ShardResult`. Re-running a shard overwrites its own row.
* :mod:`~twins.runs.publish`: :func:`publish_run` makes every staged result visible in one
  transaction: TwinState rows, alerts (:mod:`~twins.runs.alerts`: created, refreshed or
  expired) and the recommender's picks (through ``crm.signals.alerts_published``). Until then
  reps keep seeing the previous run's results; a run that fails leaves them untouched.
* :mod:`~twins.runs.queue`: the Celery shard and publish tasks and :func:`dispatch`.

Tunables are the ``SCORING_*`` settings (see config/settings.py).
"""

from .alerts import select_alerts
from .launch import launch
from .lifecycle import (
    ShardsMissing,
    default_as_of,
    fail_run,
    parse_as_of,
    reap_stale_runs,
    stalled_runs,
    start_run,
)
from .publish import publish_run
from .queue import dispatch
from .shard import score_shard

__all__ = [
    "ShardsMissing",
    "default_as_of",
    "dispatch",
    "fail_run",
    "launch",
    "parse_as_of",
    "publish_run",
    "reap_stale_runs",
    "score_shard",
    "select_alerts",
    "stalled_runs",
    "start_run",
]
