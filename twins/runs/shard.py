"""Scoring one shard: read it, fit its twins, stage the scores and alert candidates."""

import io
import json
import time
import zlib

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twins.models import ScoringRun, ShardResult
from twins.stats import api as stats

from . import read

#: Per-pair float columns of PairScores staged and copied onto TwinState.
TWIN_COLUMNS = ("expected_next", "band_low", "band_high", "p_active", "forecast_units")


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
        if extra["kind"] == "cross_sell" and not settings.TWINS_CROSS_SELL:
            continue  # the recommender's propensity model raises cross-sell
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
    frame = read.read_orders(run.as_of, weeks, bounds[shard], hi)
    family_ids, technical = read.families()
    t1 = time.perf_counter()
    batch, pair_clients, pair_families, client_ids = read.build_batch(
        frame, run.as_of, weeks, family_ids, technical, read.potential_pairs(bounds[shard], hi)
    )
    # Whether comparable clients reach their stated potentials is judged over the whole run
    # when it is published (publish._judge_potentials), not over this shard's clients.
    batch.potential_reach = np.full(len(family_ids), np.nan)
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


def unpack(blobs):
    """Concatenate the staged columns of several shards (shards without pairs are skipped)."""
    parts = [np.load(io.BytesIO(bytes(b))) for b in blobs]
    parts = [p for p in parts if "mature" in p.files]
    if not parts:
        return {}
    names = parts[0].files
    return {name: np.concatenate([p[name] for p in parts]) for name in names}
