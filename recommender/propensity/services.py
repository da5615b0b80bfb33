"""The propensity run: refit the model on replayed past dates, score every candidate pair as of
today, store the scores, and publish the cross-sell alerts into the shared queue.

Read -> fit (pure, :mod:`.stats`) -> publish in one transaction: a failed run is recorded as
failed and leaves the previous model, scores and alerts in place. Running it twice for the
same date refreshes the same live alerts (deduplicated per client, family and kind).
"""

import datetime as dt
import pickle
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from crm.models import Alert, Client, ProductFamily
from crm.selectors import run_as_of
from crm.signals import alerts_published

from . import kinds, selectors
from .models import PropensityModel, PropensityScore, PropensitySettings
from .stats import features as F
from .stats import learn
from .stats import reasons as R

CENT = Decimal("0.01")
#: Two families are "usually bought together" when most buyers of each buy the other.
BUNDLE_MIN_SHARE = 0.5
#: The bundle's second family needs at least this share of the alert threshold.
BUNDLE_MIN_RELATIVE_P = 0.5


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def refit_and_score(as_of=None, candidates=("hgb", "voting")) -> PropensityModel:
    """Refit as of ``as_of`` (default today, its purchases included), score and publish.

    Returns the run's :class:`PropensityModel` (status succeeded, or failed with the error
    re-raised)."""
    as_of = run_as_of(as_of)
    version = (PropensityModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    run = PropensityModel.objects.create(version=version, as_of=as_of)
    try:
        loaded = selectors.load_history(as_of)
        h = loaded.history
        T = np.datetime64(as_of, "D") + 1  # features see the purchases up to as_of included
        dates = F.replay_dates(h, T)
        X, y, g, snaps = F.replay(h, dates)
        queue = np.concatenate([h.rep[s.client] for s in snaps]) if snaps else np.zeros(0)
        fitted = learn.choose_and_fit(X, y, g, queue, candidates=candidates)
        snap = F.snapshot(h, T)
        p = learn.predict(fitted, snap.X)
        if fitted.has_signal and len(snap):
            effect, _p = R.effects(snap, lambda A: learn.predict(fitted, A))
            pot = h.potential[snap.client, snap.family]
            why = R.reasons(snap, effect, pot)
        else:
            why = [[] for _ in range(len(snap))]
        with transaction.atomic():
            published = _publish(run, loaded, snap, p, why, fitted, dates, X, y)
    except Exception as exc:
        PropensityModel.objects.filter(pk=run.pk).update(
            status=PropensityModel.Status.FAILED, error=repr(exc), finished_at=timezone.now()
        )
        raise
    if published:
        alerts_published.send(sender=Alert, alert_ids=published)
    run.refresh_from_db()
    return run


def _values(loaded, snap):
    """Expected first-year euros per pair, and where it comes from."""
    h = loaded.history
    pot = h.potential[snap.client, snap.family]
    known = np.isfinite(pot) & (pot > 0)
    value = np.where(known, pot, snap.first_year_value[snap.family])
    return value, np.where(known, "potential", "similar_clients")


def _bundles(snap, p, threshold):
    """Per pair, the candidate family of the same client to offer with it (-1 none)."""
    partner = np.full(len(snap), -1)
    if not len(snap):
        return partner
    together = (snap.cond >= BUNDLE_MIN_SHARE) & (snap.cond.T >= BUNDLE_MIN_SHARE)
    np.fill_diagonal(together, False)
    at = {
        (int(c), int(f)): i for i, (c, f) in enumerate(zip(snap.client, snap.family, strict=True))
    }
    for i in np.flatnonzero(p >= threshold):
        c, f = int(snap.client[i]), int(snap.family[i])
        best, best_p = -1, BUNDLE_MIN_RELATIVE_P * threshold
        for h_ in np.flatnonzero(together[f]):
            j = at.get((c, int(h_)))
            if j is not None and p[j] >= best_p and p[j] <= p[i]:
                best, best_p = j, p[j]
        partner[i] = best
    return partner


def _publish(run, loaded, snap, p, why, fitted, dates, X, y):
    h = loaded.history
    ctl = PropensitySettings.get()
    threshold = ctl.threshold if ctl.threshold is not None else fitted.threshold
    names = dict(ProductFamily.objects.values_list("pk", "name"))
    fam_name = [names.get(int(pk), "") for pk in loaded.family_ids]
    value, source = _values(loaded, snap)
    partner = _bundles(snap, p, threshold) if fitted.has_signal else np.full(len(snap), -1)
    bundled = set(partner[partner >= 0].tolist())

    PropensityScore.objects.all().delete()
    scores, candidates = [], []
    for i in range(len(snap)):
        c_pk = int(loaded.client_ids[snap.client[i]])
        f_pk = int(loaded.family_ids[snap.family[i]])
        reasons = [
            {**r, "family_name": fam_name[r["family"]]} if r.get("family", -1) >= 0 else r
            for r in why[i]
        ]
        j = int(partner[i])
        stake = p[i] * value[i] + (p[j] * value[j] if j >= 0 else 0.0)
        scores.append(
            PropensityScore(
                client_id=c_pk,
                family_id=f_pk,
                model=run,
                as_of=run.as_of,
                probability=float(p[i]),
                expected_value=_money(value[i]),
                at_stake=_money(stake),
                reasons=reasons,
                bundle_family_id=int(loaded.family_ids[snap.family[j]]) if j >= 0 else None,
            )
        )
        if fitted.has_signal and ctl.enabled and p[i] >= threshold and i not in bundled:
            pot = h.potential[snap.client[i], snap.family[i]]
            evidence = {
                "kind": kinds.CODE,
                "model_version": run.version,
                "family_name": fam_name[snap.family[i]],
                "probability": round(float(p[i]), 4),
                "horizon_weeks": F.HORIZON_WEEKS,
                "threshold": round(float(threshold), 4),
                "expected_value": round(float(value[i]), 2),
                "value_source": str(source[i]),
                "potential_euros": round(float(pot), 2) if np.isfinite(pot) and pot > 0 else None,
                "euros_at_stake": round(float(stake), 2),
                "reasons": reasons,
            }
            if j >= 0:
                other = fam_name[snap.family[j]]
                evidence["bundle"] = {
                    "family": int(loaded.family_ids[snap.family[j]]),
                    "family_name": other,
                    "probability": round(float(p[j]), 4),
                }
                evidence["bundle_name"] = f"{evidence['family_name']} + {other}"
            candidates.append((c_pk, f_pk, float(p[i]), stake, evidence))
    PropensityScore.objects.bulk_create(scores, batch_size=1000)
    created, updated, expired, published = _write_alerts(run, candidates, ctl)

    PropensityModel.objects.exclude(pk=run.pk).update(is_current=False)
    PropensityModel.objects.filter(pk=run.pk).update(
        status=PropensityModel.Status.SUCCEEDED,
        finished_at=timezone.now(),
        kind=fitted.kind,
        threshold=fitted.threshold,
        validation=fitted.validation,
        window_start=dates[0].astype(dt.date) if dates else None,
        window_end=run.as_of,
        horizon_weeks=F.HORIZON_WEEKS,
        n_examples=len(y),
        n_positives=int(np.sum(y)),
        pairs_scored=len(snap),
        alerts_created=created,
        alerts_updated=updated,
        alerts_expired=expired,
        is_current=True,
        estimator=pickle.dumps(fitted),
    )
    return published


def _write_alerts(run, candidates, ctl):
    """Refresh live cross-sell alerts still above the threshold, add new ones up to the cap per
    rep per week (largest euros at stake first), expire the rest."""
    now = timezone.now()
    live = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            kind=kinds.CODE, status__in=Alert.LIVE_STATUSES, evidence__has_key="model_version"
        )
    }
    cooling_since = now - dt.timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    keys = [Alert.make_dedup_key(c, f, kinds.CODE) for c, f, *_ in candidates]
    cooling = set(
        Alert.objects.filter(
            dedup_key__in=keys, status=Alert.Status.DISMISSED, updated_at__gte=cooling_since
        ).values_list("dedup_key", flat=True)
    )
    rep_of = dict(Client.objects.values_list("pk", "rep_id"))
    week_ago = now - dt.timedelta(days=7)
    recent = {}
    for client_id in Alert.objects.filter(
        kind=kinds.CODE, created_at__gte=week_ago, evidence__has_key="model_version"
    ).values_list("client_id", flat=True):
        rep = rep_of.get(client_id)
        recent[rep] = recent.get(rep, 0) + 1
    created = updated = 0
    published = []
    for c, f, prob, stake, evidence in sorted(candidates, key=lambda x: -x[3]):
        key = Alert.make_dedup_key(c, f, kinds.CODE)
        fields = {
            "priority": _money(stake),
            "score": round(prob, 4),
            "p_value": None,
            "evidence": evidence,
            "as_of": run.as_of,
        }
        alert = live.pop(key, None)
        if alert is not None:
            for name, v in fields.items():
                setattr(alert, name, v)
            alert.save(update_fields=[*fields, "updated_at"])
            updated += 1
        elif key in cooling:
            continue
        else:
            rep = rep_of.get(c)
            if recent.get(rep, 0) >= ctl.max_alerts_per_rep_week:
                continue
            recent[rep] = recent.get(rep, 0) + 1
            alert = Alert.objects.create(
                client_id=c, family_id=f, kind=kinds.CODE, dedup_key=key, **fields
            )
            created += 1
        published.append(alert.pk)
    expired = Alert.objects.filter(pk__in=[a.pk for a in live.values()]).update(
        status=Alert.Status.EXPIRED, closed_at=now
    )
    return created, updated, expired, published


def current_model():
    """The model of the last successful run, or None."""
    return PropensityModel.objects.filter(is_current=True).first()


def client_propensities(client):
    """The stored propensities of ``client``'s families not yet bought, highest first."""
    return list(
        PropensityScore.objects.filter(client=client)
        .select_related("family", "bundle_family", "model")
        .order_by("-probability")
    )
