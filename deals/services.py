"""Write-side operations of the deals engine: the scoring run that refits the deal-risk
model on closed deals, scores the open ones and publishes their alerts into the shared queue.

A run reads, fits (pure, :mod:`deals.stats`) and then publishes in one transaction: a failed
run leaves the previous scores and alerts as they were. Running it twice for the same date
refreshes the same live alerts (deduplicated by ``client:deal<id>:kind``) instead of adding
new ones.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Alert
from crm.signals import alerts_published, run_failed

from . import alert_kinds, pipeline_alerts, selectors
from .defaults import DEFAULT_STAGES
from .models import DealRun, DealScore, Opportunity, Stage
from .stats import features as F
from .stats import risk

#: An "at risk" alert needs P(loss) at least this and above the base rate by RISK_MARGIN...
RISK_MIN_P = 0.5
RISK_MARGIN = 0.15
#: ...and an amount at least the median amount of the open pipeline.
RISK_MIN_AMOUNT_QUANTILE = 0.5
#: Stage P90s need this many completed stints of the stage.
STALL_MIN_STINTS = 10
CENT = Decimal("0.01")


@dataclass
class Scored:
    """The pure result of a scoring: per open deal, its features, P(loss) and drivers."""

    feats: pd.DataFrame
    p_loss: np.ndarray
    drivers: list
    model: risk.RiskModel
    p90: dict
    skip_rates: dict
    p90_segment: dict


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def ensure_default_stages():
    """Create the default stages that do not exist (by code); return ``{code: Stage}``."""
    for code, name, order, late, qualification, outcome in DEFAULT_STAGES:
        Stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "is_late": late,
                "is_qualification": qualification,
                "outcome": outcome,
            },
        )
    return {s.code: s for s in Stage.objects.all()}


def fit_and_score(deals: pd.DataFrame, changes: pd.DataFrame, as_of) -> Scored:
    """Fit on deals closed by ``as_of`` (stage history up to it) and score those open then."""
    as_of = pd.Timestamp(as_of)
    known = changes.loc[changes["date"] <= as_of]
    closed = deals.loc[deals["outcome"].isin(["won", "lost"]) & (deals["closed"] <= as_of)]
    closed = closed.reset_index(drop=True)
    train = F.features(closed, known, F.snapshots(closed, end=as_of + pd.Timedelta(days=1)))
    y = F.labels(deals, train)
    durations = F.stage_durations(known, as_of)
    cycles = (closed["closed"] - closed["created"]) / pd.Timedelta(days=1)
    close = closed.set_index("id")["closed"].reindex(train["deal_id"]).to_numpy()
    model = risk.fit(train, y, durations, cycles, close)
    current = F.features_as_of(deals, known, as_of)
    p = model.predict(current) if len(current) else np.zeros(0)
    # Loss rates of closed deals that skipped qualification, from their state before closing.
    last = train.sort_values("t").groupby("deal_id").tail(1)
    skipped = last["skipped_qualification"].to_numpy()
    lost = F.labels(deals, last)
    skip_rates = {
        "skip_n": int(skipped.sum()),
        "skip_loss_rate": float(lost[skipped].mean()) if skipped.any() else 0.0,
        "rest_loss_rate": float(lost[~skipped].mean()) if (~skipped).any() else 0.0,
    }
    return Scored(
        current,
        p,
        risk.drivers(model, current),
        model,
        F.stage_p90(durations, STALL_MIN_STINTS),
        skip_rates,
        F.segment_stage_p90(durations, deals, STALL_MIN_STINTS),
    )


def candidates(scored: Scored, deals_by_id: dict) -> list:
    """Alert candidates ``(opportunity, kind, p_loss, evidence)`` of a scoring."""
    feats, p = scored.feats, scored.p_loss
    out = []
    if not len(feats):
        return out
    base = scored.model.base_rate
    min_amount = float(np.quantile(feats["amount"], RISK_MIN_AMOUNT_QUANTILE))
    for i, row in enumerate(feats.itertuples(index=False)):
        deal = deals_by_id[int(row.deal_id)]
        amount = float(deal.amount)
        p90 = scored.p90_segment.get((row.stage, row.segment))
        p90_scope = "segment" if p90 is not None else "stage"
        if p90 is None:
            p90 = scored.p90.get(row.stage)
        evidence = {
            "deal_id": deal.pk,
            "external_id": deal.external_id,
            "deal_name": deal.name or deal.external_id,
            "subject_label": f"{deal.external_id} {deal.name}".strip(),
            "amount": amount,
            "p_loss": round(float(p[i]), 4),
            "base_rate": round(base, 4),
            "at_stake": round(amount * float(p[i]), 2),
            "magnitude": round(float(p[i]), 4),
            "stage": row.stage,
            "days_in_stage": int(row.days_in_stage),
            "stage_p90": int(round(p90)) if p90 is not None else None,
            "p90_scope": p90_scope,
            "segment": row.segment,
            "age_days": int(row.age),
            "drivers": scored.drivers[i],
            "has_signal": scored.model.has_signal,
            "owner": deal.owner.get_username() if deal.owner_id else "",
        }
        if (
            scored.model.has_signal
            and p[i] >= max(RISK_MIN_P, base + RISK_MARGIN)
            and amount >= min_amount
        ):
            out.append((deal, alert_kinds.AT_RISK, evidence))
        if p90 is not None and row.days_in_stage > p90:
            out.append((deal, alert_kinds.STALLED, evidence))
        if row.skipped_qualification:
            out.append((deal, alert_kinds.SKIPPED_QUALIFICATION, {**evidence, **scored.skip_rates}))
    return out


def dedup_key(deal, kind):
    return f"{deal.client_id}:deal{deal.pk}:{kind}"


def _cooling_keys(keys, today):
    """Keys of alerts a rep dismissed as false alarms recently: not raised again yet."""
    since = timezone.now() - dt.timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    return set(
        Alert.objects.filter(
            dedup_key__in=keys, status=Alert.Status.DISMISSED, updated_at__gte=since
        ).values_list("dedup_key", flat=True)
    )


def score_pipeline(as_of=None) -> DealRun:
    """Refit the deal-risk model, score the open pipeline as of ``as_of`` (default today) and
    publish the alerts; return the run. Idempotent for a given date."""
    as_of = as_of or timezone.localdate()
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    run = DealRun.objects.create(as_of=as_of)
    try:
        deals = selectors.deals_frame(Opportunity.objects.filter(created_date__lte=as_of))
        if not _has_closed_deals(deals, as_of):
            # Nothing to learn from yet (a fresh install, or only open deals): a run that
            # says so, not a failure; earlier scores and alerts stay as they are.
            DealRun.objects.filter(pk=run.pk).update(
                status=DealRun.Status.SUCCEEDED,
                finished_at=timezone.now(),
                model_info={"has_signal": False, "note": "no deal closed yet"},
            )
            run.refresh_from_db()
            return run
        changes = selectors.changes_frame()
        scored = fit_and_score(deals, changes, as_of)
        ids = scored.feats["deal_id"].astype(int).tolist()
        by_id = Opportunity.objects.select_related("owner").in_bulk(ids)
        found = candidates(scored, by_id)
        threshold = max(RISK_MIN_P, scored.model.base_rate + RISK_MARGIN)
        team_found = pipeline_alerts.candidates(deals, changes, scored, as_of, threshold)
        with transaction.atomic():
            published = _publish(run, scored, by_id, found, team_found)
    except Exception as exc:
        DealRun.objects.filter(pk=run.pk).update(
            status=DealRun.Status.FAILED, error=repr(exc), finished_at=timezone.now()
        )
        run_failed.send(sender=DealRun, engine="deals", run_id=run.pk, error=repr(exc)[:200])
        raise
    if published:
        alerts_published.send(sender=Alert, alert_ids=published)
    run.refresh_from_db()
    return run


def _has_closed_deals(deals, as_of) -> bool:
    if not len(deals):
        return False
    closed = deals["outcome"].isin(["won", "lost"]) & (deals["closed"] <= pd.Timestamp(as_of))
    return bool(closed.any())


def _publish(run, scored, by_id, found, team_found=()):
    as_of = run.as_of
    DealScore.objects.all().delete()
    DealScore.objects.bulk_create(
        DealScore(
            opportunity_id=int(deal_id),
            run=run,
            as_of=as_of,
            p_loss=float(p),
            at_stake=_money(float(by_id[int(deal_id)].amount) * float(p)),
            drivers=drivers,
        )
        for deal_id, p, drivers in zip(
            scored.feats["deal_id"], scored.p_loss, scored.drivers, strict=True
        )
    )
    # key -> (who: client or recipient, kind, the fields a refresh rewrites)
    keys = {
        dedup_key(deal, kind): (
            {"client_id": deal.client_id},
            kind,
            {
                "priority": _money(evidence["at_stake"]),
                "score": evidence["p_loss"],
                "evidence": evidence,
                "as_of": as_of,
                "family_id": deal.family_id,
            },
        )
        for deal, kind, evidence in found
    }
    for c in team_found:
        keys[c.key] = (
            {"recipient_id": c.recipient.pk},
            c.kind,
            {
                "priority": _money(max(c.at_stake, 0.0)),
                "score": float(c.score),
                "p_value": c.p_value,
                "evidence": c.evidence,
                "as_of": as_of,
            },
        )
    live = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            kind__in=alert_kinds.CODES + alert_kinds.PIPELINE_CODES,
            status__in=Alert.LIVE_STATUSES,
        )
    }
    cooling = _cooling_keys(set(keys) - set(live), as_of)
    created = updated = 0
    published = []
    for key, (who, kind, fields) in keys.items():
        alert = live.pop(key, None)
        if alert is not None:
            for name, value in fields.items():
                setattr(alert, name, value)
            alert.save(update_fields=[*fields, "updated_at"])
            updated += 1
        elif key in cooling:
            continue
        else:
            alert = Alert.objects.create(kind=kind, dedup_key=key, **who, **fields)
            created += 1
        published.append(alert.pk)
    expired = Alert.objects.filter(pk__in=[a.pk for a in live.values()]).update(
        status=Alert.Status.EXPIRED, closed_at=timezone.now()
    )
    info = {"base_rate": scored.model.base_rate, "has_signal": scored.model.has_signal}
    info.update(scored.model.validation)
    DealRun.objects.filter(pk=run.pk).update(
        status=DealRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        deals_scored=len(scored.feats),
        alerts_created=created,
        alerts_updated=updated,
        alerts_expired=expired,
        model_info=info,
    )
    return published
