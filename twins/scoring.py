"""Database scoring: orders -> one PairBatch per client shard -> score_pairs -> publish.

A run is a :class:`~twins.models.ScoringRun` row and goes through three steps that the Celery
tasks, the ``score`` command and the benchmark all share:

* :func:`start_run` creates the run and splits the clients into contiguous id ranges (shards);
  it refuses to start while another run is alive, and fails runs that stopped showing life.
* :func:`score_shard` reads one shard's order lines, fits its twins and stages the scores in a
  :class:`~twins.models.ShardResult`. Re-running a shard overwrites its own row.
* :func:`publish_run` makes every staged result visible in one transaction: TwinState rows,
  alerts created, refreshed or expired, and the recommender's picks. Until then reps keep
  seeing the previous run's results; a run that fails leaves them untouched.

Tunables are the ``SCORING_*`` settings (see crm/settings.py).
"""

import io
import json
import math
import time
import zlib
from datetime import date, timedelta
from decimal import Decimal
from itertools import repeat

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import FloatField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from crm import selectors as crm_selectors
from crm.bulkload import analyze, chunks
from crm.models import Alert, Campaign, Client, OrderLine, Potential, ProductFamily
from crm.signals import alerts_published
from twins.models import ScoringRun, ShardResult, TwinState
from twins.stats import api as stats
from twins.stats.grid import week_starts, weekly_grid

#: Per-pair float columns of PairScores staged and copied onto TwinState.
TWIN_COLUMNS = ("expected_next", "band_low", "band_high", "p_active", "forecast_units")
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
#: Alert fields a refit refreshes on a live alert.
REFRESH_FIELDS = ("priority", "score", "p_value", "evidence", "as_of", "scoring_run")
_LOCK_KEY = 0x7477696E  # "twin": PostgreSQL advisory lock serialising run starts/publishes


class ShardsMissing(Exception):
    """Publishing was asked for before every shard had staged its result."""


def default_as_of(today=None):
    """The last Sunday on or before ``today`` (the end of the last complete ISO week)."""
    today = today or timezone.localdate()
    return today - timedelta(days=(today.weekday() + 1) % 7)


def _lock():
    """Serialise run starts and publishes across processes (a no-op on SQLite, which has a
    single writer anyway). Call inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# -- starting, failing ------------------------------------------------------------------------


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
        _lock()
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
    return ScoringRun.objects.filter(pk=run_id, status__in=ScoringRun.ACTIVE_STATUSES).update(
        status=ScoringRun.Status.FAILED, error=str(error)[:4000], finished_at=timezone.now()
    )


# -- reading and fitting one shard ------------------------------------------------------------


ORDER_COLUMNS = ["client", "family", "date", "units", "value"]


def read_orders(as_of, weeks, lo=None, hi=None):
    """Order lines of clients ``lo <= id < hi`` in the grid's weeks, as a DataFrame with
    columns client, family, date (datetime64[D]), units, value (floats)."""
    starts = week_starts(as_of, weeks)
    first = starts[0].astype(object)
    last = starts[-1].astype(object) + timedelta(days=6)
    qs = OrderLine.objects.filter(date__gte=first, date__lte=last)
    if lo is not None:
        qs = qs.filter(client_id__gte=lo)
    if hi is not None:
        qs = qs.filter(client_id__lt=hi)
    qs = qs.order_by().annotate(u=Cast("units", FloatField()), v=Cast("net_value", FloatField()))
    if connection.vendor == "postgresql":
        # Days since 1970-01-01 computed by the database, fetched without per-row converters.
        days = RawSQL(f"({OrderLine._meta.db_table}.date - DATE '1970-01-01')", [])
        sql, params = (
            qs.annotate(d=days).values_list("client_id", "family_id", "d", "u", "v").query
        ).sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            data = np.array(cursor.fetchall(), dtype=float).reshape(-1, 5)
        frame = pd.DataFrame(data, columns=ORDER_COLUMNS)
        frame["date"] = data[:, 2].astype(np.int64).astype("datetime64[D]")
    else:
        rows = qs.values_list("client_id", "family_id", "date", "u", "v")
        frame = pd.DataFrame.from_records(rows.iterator(chunk_size=20000), columns=ORDER_COLUMNS)
    return frame.astype(
        {"client": "int64", "family": "int64", "date": "datetime64[s]"}
        | {"units": float, "value": float}
    )


def families():
    """All families as (ids, technical flags), in the index order used by every batch."""
    rows = list(ProductFamily.objects.order_by("pk").values_list("pk", "kind"))
    ids = np.array([pk for pk, _ in rows], dtype=np.int64)
    technical = np.array([kind == ProductFamily.Kind.TECHNICAL for _, kind in rows], dtype=bool)
    return ids, technical


def campaign_weeks(family_ids, starts):
    """(F, W) flags: does a campaign promoting the family overlap the week?"""
    flags = np.zeros((len(family_ids), len(starts)), dtype=bool)
    first, last = starts[0].astype(object), starts[-1].astype(object) + timedelta(days=6)
    position = {pk: k for k, pk in enumerate(family_ids.tolist())}
    campaigns = Campaign.objects.filter(start__lte=last, end__gte=first).prefetch_related(
        "families"
    )
    for campaign in campaigns:
        weeks = (starts + 6 >= np.datetime64(campaign.start)) & (
            starts <= np.datetime64(campaign.end)
        )
        rows = [position[f.pk] for f in campaign.families.all() if f.pk in position]
        flags[rows if rows else slice(None)] |= weeks
    return flags


def potentials(client_ids, family_ids):
    """Annual potential in euros per (client, family) pair, NaN when unknown.

    With several sources for one pair, the most recently updated wins.
    """
    out = np.full(len(client_ids), np.nan)
    if not len(client_ids):
        return out
    rows = (
        Potential.objects.filter(client_id__gte=client_ids.min(), client_id__lte=client_ids.max())
        .order_by("updated_at")
        .annotate(p=Cast("annual_potential", FloatField()))
        .values_list("client_id", "family_id", "p")
    )
    latest = {(c, f): p for c, f, p in rows}
    if latest:
        keys = pd.MultiIndex.from_arrays([client_ids, family_ids])
        known = pd.Series(latest)
        out = known.reindex(keys).to_numpy(dtype=float)
    return out


def potential_pairs(lo=None, hi=None):
    """``(client ids, family ids)`` of the pairs with a stated potential, for clients in
    ``lo <= id < hi``."""
    qs = Potential.objects.filter(annual_potential__gt=0).order_by()  # 0: nothing to capture
    if lo is not None:
        qs = qs.filter(client_id__gte=lo)
    if hi is not None:
        qs = qs.filter(client_id__lt=hi)
    rows = np.array(list(qs.values_list("client_id", "family_id").distinct()), dtype=np.int64)
    rows = rows.reshape(-1, 2)
    return rows[:, 0], rows[:, 1]


def build_batch(frame, as_of, weeks, family_ids, technical, extra_pairs=None):
    """The :class:`PairBatch` of the (client, family) pairs in ``frame``, with their ids.

    ``extra_pairs`` (client ids, family ids) adds zero-filled rows for pairs without orders in
    the window, such as a stated potential never bought (a cross-sell candidate).

    Returns ``(batch, pair_client_ids, pair_family_ids, client_ids)``: the batch's client index
    points into ``client_ids``, its family index into ``family_ids``; pairs are ordered by
    client id, then family.
    """
    n_families = len(family_ids)
    fam_index = np.searchsorted(family_ids, frame["family"].to_numpy(dtype=np.int64))
    keys = frame["client"].to_numpy(dtype=np.int64) * n_families + fam_index
    pair_keys = keys
    if extra_pairs is not None:
        extra_clients, extra_families = extra_pairs
        extra_index = np.searchsorted(family_ids, extra_families)
        pair_keys = np.concatenate([keys, extra_clients * n_families + extra_index])
    pair_keys = np.unique(pair_keys)
    pair_index = np.searchsorted(pair_keys, keys)
    pair_clients, pair_fam_index = np.divmod(pair_keys, n_families)
    client_ids, client_index = np.unique(pair_clients, return_inverse=True)
    units, euros, starts = weekly_grid(
        pair_index,
        frame["date"].to_numpy().astype("datetime64[D]"),
        frame["units"].to_numpy(dtype=float),
        frame["value"].to_numpy(dtype=float),
        as_of,
        weeks,
        n_pairs=len(pair_keys),
    )
    pair_families = family_ids[pair_fam_index]
    batch = stats.PairBatch(
        units=units,
        euros=euros,
        technical=technical[pair_fam_index],
        family=pair_fam_index,
        client=client_index,
        campaign=campaign_weeks(family_ids, starts),
        potential=potentials(pair_clients, pair_families),
        week_start=starts,
        n_clients=len(client_ids),
        n_families=n_families,
    )
    return batch, pair_clients, pair_families, client_ids


def _plain(value):
    """``value`` as plain JSON types, numpy scalars made Python and NaN/inf made None (jsonb
    refuses NaN). One C-speed round trip through the json module."""
    text = json.dumps(value, default=_json_default)
    return json.loads(text, parse_constant=lambda _: None)


def _json_default(value):
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def alert_candidates(scores, pair_clients, pair_families, client_ids, family_ids):
    """Alert candidates of one shard as JSON dicts with database ids."""
    out = []
    for i in np.flatnonzero(scores.alert_kind.astype(str) != ""):
        out.append(
            {
                "client": int(pair_clients[i]),
                "family": int(pair_families[i]),
                "kind": str(scores.alert_kind[i]),
                "score": scores.alert_score[i],
                "p_value": scores.p_value[i],
                "at_stake": scores.at_stake[i],
                "evidence": scores.evidence[i] or {},
                "pair": True,
            }
        )
    for extra in scores.extra:
        family = int(extra["family"])
        out.append(
            {
                "client": int(client_ids[int(extra["client"])]),
                "family": int(family_ids[family]) if family >= 0 else None,
                "kind": str(extra["kind"]),
                "score": extra["score"],
                "p_value": extra.get("p_value"),
                "at_stake": extra["at_stake"],
                "evidence": extra.get("evidence") or {},
                "pair": False,
            }
        )
    return _plain(out)


def score_shard(run_id, shard):
    """Fit and stage shard ``shard`` of run ``run_id``. Idempotent; a no-op once the run is no
    longer running. Returns a small JSON summary."""
    run = ScoringRun.objects.get(pk=run_id)
    if run.status != ScoringRun.Status.RUNNING:
        return {"run": run_id, "shard": shard, "skipped": run.status}
    if not 0 <= shard < run.shards_total:
        raise ValueError(f"Run {run_id} has shards 0..{run.shards_total - 1}, not {shard}.")
    weeks = settings.SCORING_HISTORY_WEEKS
    bounds = run.shard_bounds
    hi = bounds[shard + 1] if shard + 1 < len(bounds) else None

    t0 = time.perf_counter()
    frame = read_orders(run.as_of, weeks, bounds[shard], hi)
    family_ids, technical = families()
    t1 = time.perf_counter()
    batch, pair_clients, pair_families, client_ids = build_batch(
        frame, run.as_of, weeks, family_ids, technical, potential_pairs(bounds[shard], hi)
    )
    if len(pair_clients):
        scores = stats.score_pairs(batch, horizon=run.horizon)
        candidates = alert_candidates(scores, pair_clients, pair_families, client_ids, family_ids)
    else:
        scores, candidates = None, []
    t2 = time.perf_counter()
    arrays = _pack(scores, pair_clients, pair_families, batch.technical)
    timings = {"read": t1 - t0, "fit": t2 - t1}
    with transaction.atomic():
        locked = ScoringRun.objects.select_for_update().get(pk=run_id)
        if locked.status != ScoringRun.Status.RUNNING:
            return {"run": run_id, "shard": shard, "skipped": locked.status}
        staged, _ = ShardResult.objects.update_or_create(
            run=locked,
            shard=shard,
            defaults={
                "pairs": len(pair_clients),
                "arrays": arrays,
                "alerts": zlib.compress(json.dumps(candidates).encode(), 1),
                "alerts_count": len(candidates),
                "finished_at": timezone.now(),
            },
        )
        staged.timings = timings | {"stage": time.perf_counter() - t2}
        staged.save(update_fields=["timings"])
        locked.shards_done = locked.shard_results.count()
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["shards_done", "heartbeat_at"])
    return {"run": run_id, "shard": shard, "pairs": len(pair_clients), "alerts": len(candidates)}


def _pack(scores, pair_clients, pair_families, technical):
    columns = {"client": pair_clients, "family": pair_families, "technical": technical}
    if scores is not None:
        columns["mature"] = scores.mature
        columns["p_value"] = np.asarray(scores.p_value, dtype=float)
        columns.update({name: getattr(scores, name) for name in TWIN_COLUMNS})
        columns.update({f"param_{k}": np.asarray(v, dtype=float) for k, v in scores.params.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **columns)
    return buffer.getvalue()


def _unpack(blobs):
    """Concatenate the staged columns of several shards (shards without pairs are skipped)."""
    parts = [np.load(io.BytesIO(bytes(b))) for b in blobs]
    parts = [p for p in parts if "mature" in p.files]
    if not parts:
        return {}
    names = parts[0].files
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


# -- publishing -------------------------------------------------------------------------------


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
        _lock()
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != ScoringRun.Status.PUBLISHING:
            return run  # another run published first and stopped this one
        now = timezone.now()
        results = list(run.shard_results.all())
        columns = _unpack(r.arrays for r in results)
        candidates = [c for r in results for c in json.loads(zlib.decompress(r.alerts))]
        lap("write_load")
        pairs = _write_twins(run, columns)
        lap("write_twins")
        counts, touched = _write_alerts(run, select_alerts(candidates, columns), now)
        lap("write_alerts")
        _recommend(touched)
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


def select_alerts(candidates, columns):
    """The candidates that survive Benjamini-Hochberg within each rep's queue, one per key.

    The tests of a rep's queue are the loss tests of all their clients' pairs (``columns``
    holds every pair's ``p_value``, NaN where there was no test) plus the client-level
    candidates that carry a p-value. A pair candidate is kept when its pair's test is
    rejected; candidates without a p-value pass. Two candidates for the same (client, family,
    kind) keep the larger euros at stake.
    """
    if not candidates:
        return {}
    rep_of = dict(Client.objects.values_list("pk", "rep_id"))
    pair_clients, pair_families = columns["client"].tolist(), columns["family"].tolist()
    position = {pair: i for i, pair in enumerate(zip(pair_clients, pair_families, strict=True))}
    extras = [c for c in candidates if not c["pair"]]
    p_values = np.concatenate(
        [columns["p_value"], [np.nan if c["p_value"] is None else c["p_value"] for c in extras]]
    )
    groups = np.array(
        [rep_of.get(c) or 0 for c in pair_clients] + [rep_of.get(c["client"]) or 0 for c in extras],
        dtype=np.int64,
    )
    keep = stats.fdr_select(p_values, groups, q=settings.SCORING_FDR_Q)
    extra_at = {id(c): len(pair_clients) + j for j, c in enumerate(extras)}
    selected = {}
    for c in candidates:
        at = position[(c["client"], c["family"])] if c["pair"] else extra_at[id(c)]
        key = Alert.make_dedup_key(c["client"], c["family"], c["kind"])
        if keep[at] and (key not in selected or c["at_stake"] > selected[key]["at_stake"]):
            selected[key] = c
    return selected


def _money(euros):
    return Decimal(str(round(max(float(euros or 0.0), 0.0), 2))).quantize(Decimal("0.01"))


def _write_alerts(run, selected, now):
    """Create, refresh and expire alerts from the ``selected`` candidates (by dedup key).

    Returns ``((created, updated, expired), ids of created and refreshed alerts)``.

    Live alerts (open, acting, snoozed) are refreshed in place. A dismissed alert whose
    evidence persists suppresses a new alert for ``SCORING_DISMISS_COOLDOWN_DAYS`` after the
    dismissal; once its evidence vanishes (or the cooldown ends) it is closed and no longer
    suppresses. Live alerts whose evidence vanished expire.
    """
    live = dict(
        Alert.objects.filter(
            status__in=Alert.LIVE_STATUSES, kind__in=stats.ALERT_KINDS
        ).values_list("dedup_key", "pk")
    )
    cooldown_start = now - timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    dismissed = Alert.objects.filter(
        status=Alert.Status.DISMISSED, closed_at__isnull=True, kind__in=stats.ALERT_KINDS
    )
    suppressing, closing = set(), []
    for alert in dismissed.only("pk", "dedup_key", "updated_at"):
        if alert.dedup_key in selected and alert.updated_at >= cooldown_start:
            suppressing.add(alert.dedup_key)
        else:
            closing.append(alert.pk)
    for part in chunks(closing, 5000):
        Alert.objects.filter(pk__in=part).update(closed_at=now)

    created, updated = [], []
    for key, c in selected.items():
        fields = {
            "priority": _money(c["at_stake"]),
            "score": float(c["score"] or 0.0),
            "p_value": c["p_value"],
            "evidence": c["evidence"],
            "as_of": run.as_of,
            "scoring_run_id": run.pk,
        }
        pk = live.pop(key, None)
        if pk is not None:
            updated.append((pk, fields | {"updated_at": now}))
        elif key not in suppressing:
            created.append(
                Alert(
                    client_id=c["client"],
                    family_id=c["family"],
                    kind=c["kind"],
                    dedup_key=key,
                    created_at=now,
                    **fields,
                )
            )
    _refresh_alerts(updated)
    expired = 0
    for part in chunks(live.values(), 5000):
        expired += Alert.objects.filter(pk__in=part).update(
            status=Alert.Status.EXPIRED, closed_at=now, updated_at=now
        )
    created = Alert.objects.bulk_create(created, batch_size=1000)
    touched = [a.pk for a in created] + [pk for pk, _ in updated]
    return (len(created), len(updated), expired), touched


def _refresh_alerts(updates):
    """Write ``(pk, fields)`` refreshes with one prepared UPDATE run for every row.

    Much faster than ``bulk_update``'s CASE expressions when thousands of alerts with sizeable
    evidence are refreshed each night.
    """
    if not updates:
        return
    meta, quote = Alert._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in (*REFRESH_FIELDS, "updated_at")]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = (
        [f.get_db_prep_save(values[f.attname], connection) for f in fields] + [pk]
        for pk, values in updates
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def _recommend(alert_ids):
    """Let the recommender pick the next-best action for new and refreshed alerts."""
    if alert_ids:
        alerts_published.send(sender=Alert, alert_ids=list(alert_ids))


# -- the whole run in-process -----------------------------------------------------------------


def run_inline(as_of=None, shards=None, horizon=None, progress=None):
    """Start, score every shard and publish in this process; returns the run.

    ``progress`` (optional) is called with the run after each shard. A failure marks the run
    failed and re-raises.
    """
    run = start_run(as_of, shards, horizon)
    if run.status != ScoringRun.Status.RUNNING:
        return run
    try:
        for shard in range(run.shards_total):
            score_shard(run.pk, shard)
            if progress is not None:
                progress(shard)
        return publish_run(run.pk)
    except Exception as exc:
        fail_run(run.pk, repr(exc))
        raise


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
