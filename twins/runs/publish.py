"""Publishing a run: every staged shard becomes visible in one transaction (twins, alerts, the
recommender's picks); until then reps keep seeing the previous run's results."""

import json
import math
import time
import zlib
from itertools import repeat

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from twins.models import ScoringRun, ShardResult, TwinState
from twins.stats import potential as potential_rules

from . import alerts
from .lifecycle import ShardsMissing, fail_run, lock
from .shard import TWIN_COLUMNS, unpack

#: TwinState fields written by a run, the (client, family) key first.
TWIN_FIELDS = (
    "client_id",
    "family_id",
    "kind",
    "as_of",
    "scoring_run_id",
    "mature",
    "params",
    "forecast_weeks",
    *TWIN_COLUMNS,
)


def publish_run(run_id):
    """Publish every staged shard of ``run_id`` in one transaction and return the run.

    Raises :class:`ShardsMissing` when some shard has not staged yet (the caller may retry).
    A run already published, failed or superseded is returned as is; one left ``publishing``
    by a lost worker is published again (the lost attempt's transaction was rolled back).
    Any other error fails the run and leaves the previous results in place.
    """
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (ScoringRun.Status.RUNNING, ScoringRun.Status.PUBLISHING):
            return run
        staged = run.shard_results.count()
        if staged < run.shards_total:
            raise ShardsMissing(f"Run {run_id}: {staged} of {run.shards_total} shards staged.")
        run.status = ScoringRun.Status.PUBLISHING
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "heartbeat_at"])
    try:
        return _publish(run_id)
    except Exception as exc:
        fail_run(run_id, f"Publishing failed: {exc!r}")
        raise


def _publish(run_id):
    t0 = time.perf_counter()
    marks = [("start", t0)]

    def lap(name):
        marks.append((name, time.perf_counter()))

    with transaction.atomic():
        lock()
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != ScoringRun.Status.PUBLISHING:
            return run  # another run published first and stopped this one
        now = timezone.now()
        results = list(run.shard_results.all())
        columns = unpack(r.arrays for r in results)
        candidates = [c for r in results for c in json.loads(zlib.decompress(r.alerts))]
        candidates = _judge_potentials(columns, candidates)
        lap("write_load")
        pairs = _write_twins(run, columns)
        lap("write_twins")
        counts, touched = alerts.write_alerts(run, alerts.select_alerts(candidates, columns), now)
        lap("write_alerts")
        alerts.recommend(touched)
        lap("write_recommend")
        superseded = (
            ScoringRun.objects.filter(status__in=ScoringRun.ACTIVE_STATUSES)
            .exclude(pk=run.pk)
            .update(
                status=ScoringRun.Status.SUPERSEDED,
                finished_at=now,
                error=f"Stopped: run #{run.pk} published while this run was active.",
            )
        )
        ShardResult.objects.filter(
            Q(run=run) | ~Q(run__status__in=ScoringRun.ACTIVE_STATUSES)
        ).delete()
        sums = {k: sum(r.timings.get(k, 0.0) for r in results) for k in ("read", "fit", "stage")}
        shards_wall = max((r.finished_at for r in results), default=now) - run.started_at
        run.status = ScoringRun.Status.SUCCEEDED
        run.pairs = pairs
        run.alerts_created, run.alerts_updated, run.alerts_expired = counts
        run.timings = {k: round(v, 3) for k, v in sums.items()} | {
            name: round(t - marks[i][1], 3) for i, (name, t) in enumerate(marks[1:])
        }
        run.finished_at = run.heartbeat_at = timezone.now()
        run.timings |= {
            "shards_wall": round(shards_wall.total_seconds(), 3),
            "superseded_runs": superseded,
            "write": round(time.perf_counter() - t0, 3),  # until the commit
            "total": round((run.finished_at - run.started_at).total_seconds(), 3),
        }
        run.save()
    return run


def _judge_potentials(columns, candidates):
    """Judge over the whole run whether the family's comparable clients reach their stated
    potentials (``twins.stats.potential.judge_families``): update the pairs' reliability
    columns in place and drop the uncaptured-potential candidates of pairs now "unreached"."""
    names = ("param_potential_share", "param_history_weeks", "param_potential_reliability")
    if not columns or any(name not in columns for name in names):
        return candidates
    code, reach = potential_rules.judge_families(
        columns["param_potential_share"],
        columns["param_history_weeks"],
        columns["family"],
        columns["param_potential_reliability"],
    )
    columns["param_potential_reliability"] = code
    columns["param_potential_family_reach"] = reach
    unreached = code == potential_rules.UNREACHED
    pairs = set(
        zip(
            columns["client"][unreached].tolist(),
            columns["family"][unreached].tolist(),
            strict=True,
        )
    )
    return [
        c
        for c in candidates
        if not (
            c["kind"] == "uncaptured_potential"
            and c["pair"]
            and (c["client"], c["family"]) in pairs
        )
    ]


def _write_twins(run, columns):
    """Upsert one TwinState per scored pair; drop twins of pairs this run no longer saw."""
    n = len(columns.get("client", ()))
    if n and connection.vendor == "postgresql":
        _upsert_twins_copy(_twin_rows(run, columns))
    elif n:
        TwinState.objects.bulk_create(
            (
                TwinState(**dict(zip(TWIN_FIELDS, row, strict=True)))
                for row in _twin_rows(run, columns)
            ),
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["client", "family"],
            update_fields=TWIN_FIELDS[2:],
        )
    TwinState.objects.exclude(scoring_run_id=run.pk).delete()
    return n


def _twin_rows(run, columns):
    """One tuple of TWIN_FIELDS values per pair (non-finite floats become 0, or None in
    ``params``)."""
    n = len(columns["client"])
    names = [k for k in columns if k.startswith("param_")]
    values = [[x if math.isfinite(x) else None for x in columns[k].tolist()] for k in names]
    keys = [k.removeprefix("param_") for k in names]
    params = [dict(zip(keys, v, strict=True)) for v in zip(*values, strict=True)] or [{}] * n
    kinds = np.where(columns["technical"], "technical", "commodity").tolist()
    floats = [
        np.nan_to_num(columns[name].astype(float), nan=0.0, posinf=0.0, neginf=0.0).tolist()
        for name in TWIN_COLUMNS
    ]
    return zip(
        columns["client"].tolist(),
        columns["family"].tolist(),
        kinds,
        repeat(run.as_of, n),
        repeat(run.pk, n),
        columns["mature"].tolist(),
        params,
        repeat(run.horizon, n),
        *floats,
        strict=True,
    )


def _upsert_twins_copy(rows):
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT ... ON CONFLICT.

    Several times faster than ``bulk_create(update_conflicts=True)`` for ~10^5 rows.
    """
    meta, quote = TwinState._meta, connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in TWIN_FIELDS]
    names, table = ", ".join(columns), quote(meta.db_table)
    params_at = TWIN_FIELDS.index("params")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE twin_stage ON COMMIT DROP AS SELECT {names} FROM {table} "
            "WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY twin_stage ({names}) FROM STDIN") as copy:
            for row in rows:
                row = list(row)
                row[params_at] = json.dumps(row[params_at])
                copy.write_row(row)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[2:])
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM twin_stage "
            f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE twin_stage")
