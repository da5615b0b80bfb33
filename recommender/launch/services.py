"""Write-side of launch targeting: target a launch and publish its alerts; judge outcomes.

:func:`target_launch` reads the CRM history before the launch (or today, if the launch is
ahead), scores every client (:mod:`.stats`), stores one :class:`LaunchTarget` per client and
raises a ``launch_early_adopter`` alert for each rep's best ``target_per_rep`` clients, ranked
by expected first-quarter value, in one transaction; then ``crm.signals.alerts_published``
lets the bandit choose the approach. Re-targeting refreshes the same live alerts.

:func:`judge_outcomes` checks, for every targeted launch, who bought a launched product in the
12 weeks after the launch: the targets' rows, the launch's conversion report (targeted vs not,
by score band) and, for each rep who answered *I will act*, an :class:`Outcome` and a reward
event for the action taken (1 bought, 0 not), folded into the bandit.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Alert, Client, Feedback, OrderLine
from crm.selectors import run_as_of
from crm.signals import alerts_published

from ..models import Outcome, RewardEvent
from . import kinds as launch_kinds
from . import selectors, stats
from .models import Launch, LaunchTarget

CENT = Decimal("0.01")
#: Bands of the combined score in the conversion report.
SCORE_BANDS = (0.0, 0.1, 0.2, 0.4, 1.0)


class LaunchError(ValueError):
    """The launch cannot be targeted as it stands; the message says why."""


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def dedup_key(client_id, launch_id):
    return f"{client_id}:launch{launch_id}:{launch_kinds.EARLY_ADOPTER}"


def check(launch):
    """Problems that stop a targeting, as messages naming the launch and field."""
    problems = []
    products = list(launch.products.select_related("family"))
    if not products:
        problems.append(
            f"Launch {launch.pk} “{launch.name}”: products: a launch needs at least one product."
        )
    return problems


def target_launch(launch, as_of=None):
    """Target ``launch`` with the history before ``as_of`` (default: its date, or today if
    it is ahead); store the targets and publish the alerts. Returns the number of alerts.

    Raises :class:`LaunchError` (stored on the launch as ``error``) when it has no product.
    """
    problems = check(launch)
    if problems:
        Launch.objects.filter(pk=launch.pk).update(
            status=Launch.Status.FAILED, error=" ".join(problems)
        )
        raise LaunchError(" ".join(problems))
    today = timezone.localdate()
    as_of = as_of or min(launch.launch_date, today)
    products = list(launch.products.select_related("family").order_by("pk"))
    ids = [p.pk for p in products]
    data = selectors.data(until=as_of)
    if data.clients.empty:
        raise LaunchError(f"Launch {launch.pk} “{launch.name}”: there are no clients to target.")
    t = stats.target(data, pd.Timestamp(as_of), ids)
    prices = [float(p.list_price) if p.list_price is not None else np.nan for p in products]
    ev = stats.expected_value(t, prices)
    reps = data.clients["rep"].to_numpy(dtype=object)
    has_rep = np.array([r is not None and not pd.isna(r) for r in reps])
    chosen = stats.select_targets(np.where(has_rep, t.combined, -1.0), reps, launch.target_per_rep)
    chosen &= has_rep
    table = t.combiner.table
    rates = stats.band_rates(table, t.look.prob, t.appetence[np.arange(len(t.best)), t.best])
    with transaction.atomic():
        published = _publish(launch, products, data, t, ev, chosen, rates, as_of)
    if published:
        alerts_published.send(sender=Alert, alert_ids=published)
    return len(published)


def _band(look, app):
    li = int(stats.band_index([look], stats.LOOK_EDGES)[0])
    ai = int(stats.band_index([app], stats.APP_EDGES)[0])
    le, ae = stats.LOOK_EDGES, stats.APP_EDGES
    return f"L {le[li]:.1f}–{le[li + 1]:.1f} × A {ae[ai]:.1f}–{ae[ai + 1]:.1f}"


def _nearest_bought(data, client_id, product_col, as_of):
    """Name of the product the client bought last year that is nearest the new product."""
    lines = data.lines
    recent = lines.loc[
        (lines["client"] == client_id)
        & (lines["date"] >= pd.Timestamp(as_of) - pd.Timedelta(weeks=52))
        & (lines["units"] > 0)
    ]
    bought = recent["product"].unique()
    if not len(bought):
        return ""
    rows = data._pindex.get_indexer(bought)
    sim = data.similarity()[rows, product_col]
    best = rows[int(np.nanargmax(np.nan_to_num(sim, nan=-1)))]
    return str(data.products.iloc[best]["name"])


def _publish(launch, products, data, t, ev, chosen, rates, as_of):
    by_id = {p.pk: p for p in products}
    client_ids = t.client_ids
    reps = data.clients["rep"].to_numpy(dtype=object)
    best_app = t.appetence[np.arange(len(t.best)), t.best]
    # Rank within each rep by expected first-quarter value.
    order = np.argsort(-ev, kind="stable")
    rank = np.zeros(len(ev), dtype=int)
    seen = {}
    for i in order:
        seen[reps[i]] = seen.get(reps[i], 0) + 1
        rank[i] = seen[reps[i]]
    pcols = data._pindex.get_indexer([p.pk for p in products])
    LaunchTarget.objects.filter(launch=launch).delete()
    live = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            kind=launch_kinds.EARLY_ADOPTER,
            status__in=Alert.LIVE_STATUSES,
            dedup_key__endswith=f":launch{launch.pk}:{launch_kinds.EARLY_ADOPTER}",
        )
    }
    targets, published = [], []
    for i, cid in enumerate(client_ids):
        product = products[int(t.best[i])]
        band = _band(t.look.prob[i], best_app[i])
        target = LaunchTarget(
            launch=launch,
            client_id=int(cid),
            product=product,
            rep_id=None if reps[i] is None or pd.isna(reps[i]) else int(reps[i]),
            rule_score=float(t.rule[i]),
            lookalike=float(t.look.prob[i]),
            appetence=float(best_app[i]),
            combined=float(t.combined[i]),
            expected_value=_money(ev[i]),
            band=band,
            rules=t.fired[i],
            rank=int(rank[i]),
            targeted=bool(chosen[i]),
        )
        if chosen[i]:
            alternatives = sorted(
                (
                    {"name": p.name or p.code, "appetence": round(float(t.appetence[i, j]), 3)}
                    for j, p in enumerate(products)
                    if j != int(t.best[i])
                ),
                key=lambda a: -a["appetence"],
            )
            evidence = {
                "launch_id": launch.pk,
                "launch_name": launch.name,
                "launch_date": launch.launch_date.isoformat(),
                "as_of": as_of.isoformat(),
                "product_id": product.pk,
                "product_code": product.code,
                "product_name": product.name or product.code,
                "subject_label": product.name or product.code,
                "family_name": product.family.name,
                "family_kind": product.family.kind,
                "nearest_bought": _nearest_bought(data, cid, pcols[int(t.best[i])], as_of),
                "rule_score": round(float(t.rule[i]), 4),
                "rules": t.fired[i],
                "lookalike": round(float(t.look.prob[i]), 4),
                "appetence": round(float(best_app[i]), 4),
                "combined": round(float(t.combined[i]), 4),
                "magnitude": round(float(t.combined[i]), 4),
                "expected_value": round(float(ev[i]), 2),
                "band": band,
                "band_conversion": round(float(rates[i]), 4),
                "alternatives": alternatives,
                "window_weeks": stats.WINDOW_WEEKS,
                "past_launches": t.past_launches,
                "has_signal": bool(t.combiner.has_signal),
            }
            key = dedup_key(int(cid), launch.pk)
            fields = {
                "priority": _money(ev[i]),
                "score": float(t.combined[i]),
                "evidence": evidence,
                "as_of": as_of,
                "family_id": product.family_id,
            }
            alert = live.pop(key, None)
            if alert is not None:
                for name, value in fields.items():
                    setattr(alert, name, value)
                alert.save(update_fields=[*fields, "updated_at"])
            else:
                alert = Alert.objects.create(
                    client_id=int(cid), kind=launch_kinds.EARLY_ADOPTER, dedup_key=key, **fields
                )
            target.alert = alert
            published.append(alert.pk)
        targets.append(target)
    LaunchTarget.objects.bulk_create(targets, batch_size=500)
    Alert.objects.filter(pk__in=[a.pk for a in live.values()]).update(
        status=Alert.Status.EXPIRED, closed_at=timezone.now()
    )
    table = t.combiner.table
    Launch.objects.filter(pk=launch.pk).update(
        status=Launch.Status.TARGETED,
        targeted_at=timezone.now(),
        as_of=as_of,
        error="",
        band_table=_json_table(table),
        model_info={
            "past_launches": t.past_launches,
            "clients": len(client_ids),
            "targeted": int(chosen.sum()),
            "training_rows": t.combiner.rows,
            "base_rate": round(t.combiner.base_rate, 4),
            "combined_has_signal": bool(t.combiner.has_signal),
            "lookalike_has_signal": bool(t.look.has_signal),
            "lookalike_auc": None if t.look.auc is None else round(t.look.auc, 3),
            "units_per_adopter": t.units_per_adopter,
            "gower_columns": list(data.columns),
            "attributes_given": {
                p.code: sorted((by_id[p.pk].attributes or {}).keys()) for p in products
            },
        },
    )
    return published


def _json_table(table):
    out = []
    for row in table.to_dict("records"):
        out.append(
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        )
    return out


def replacements(launch, limit=20):
    """For older products of the launch's families (or all, if none), the nearest new product
    of the launch: ``[(old product name, new product name, similarity)]``, nearest first."""
    data = selectors.data(until=launch.launch_date)
    new = list(launch.products.values_list("pk", flat=True))
    if not new:
        return []
    products = data.products
    pid = data._pindex
    new_cols = pid.get_indexer(new)
    fams = set(products.iloc[new_cols]["family"])
    old = products.loc[~products["product"].isin(new) & products["family"].isin(fams)]
    if old.empty:
        old = products.loc[~products["product"].isin(new)]
    sim = data.similarity()[np.ix_(pid.get_indexer(old["product"]), new_cols)]
    best = np.nan_to_num(sim, nan=-1).argmax(axis=1)
    rows = [
        (old.iloc[i]["name"], products.iloc[new_cols[j]]["name"], float(sim[i, j]))
        for i, j in enumerate(best)
    ]
    return sorted(rows, key=lambda r: -r[2])[:limit]


def judge_outcomes(as_of=None):
    """Judge every targeted launch's clients as far as the data reaches (``run_as_of``: today, or
    the latest order's week when earlier); returns the number of bandit outcomes stored."""
    as_of = run_as_of(as_of)
    stored = 0
    for launch in Launch.objects.filter(status=Launch.Status.TARGETED):
        stored += judge_launch(launch, as_of)
    if stored:
        from ..services import fold_rewards

        fold_rewards()
    return stored


def judge_launch(launch, as_of):
    """Who bought the launch within its window, as far as known on ``as_of``; the report."""
    start = launch.launch_date
    end = start + dt.timedelta(weeks=stats.WINDOW_WEEKS)
    if as_of < start:
        return 0  # a launch ahead: nothing to judge yet
    closed = as_of >= end
    products = list(launch.products.values_list("pk", flat=True))
    first = {}
    for cid, day in (
        OrderLine.objects.filter(
            product_id__in=products,
            date__gte=start,
            date__lt=min(end, as_of + dt.timedelta(days=1)),
            units__gt=0,
        )
        .order_by("date")
        .values_list("client_id", "date")
    ):
        first.setdefault(cid, day)
    stored = 0
    with transaction.atomic():
        targets = list(LaunchTarget.objects.filter(launch=launch).select_for_update())
        changed = []
        for tg in targets:
            day = first.get(tg.client_id)
            if day is not None:
                tg.bought, tg.bought_on = True, day
            elif closed:
                tg.bought, tg.bought_on = False, None
            else:
                continue
            tg.judged_at = as_of
            changed.append(tg)
        LaunchTarget.objects.bulk_update(
            changed, ["bought", "bought_on", "judged_at"], batch_size=500
        )
        for tg in changed:
            if tg.alert_id:
                stored += _reward(tg, start)
        report = conversion_report(targets)
        report["as_of"] = as_of.isoformat()
        report["window_closed"] = closed
        update = {"report": report}
        if closed:
            update["status"] = Launch.Status.CLOSED
        Launch.objects.filter(pk=launch.pk).update(**update)
    return stored


def _reward(target, start):
    """An Outcome and a reward event for the action a rep said they would take, once."""
    fb = (
        Feedback.objects.filter(
            alert_id=target.alert_id, verdict=Feedback.Verdict.ACT, action__isnull=False
        )
        .order_by("created_at", "pk")
        .first()
    )
    if fb is None or Outcome.objects.filter(feedback=fb).exists():
        return 0
    alert = fb.alert
    rec = (
        alert.recommendations.filter(created_at__lte=fb.created_at)
        .order_by("-created_at", "-id")
        .first()
    )
    from ..services import alert_context

    context = rec.context if rec else alert_context(alert)
    bought = bool(target.bought)
    try:
        with transaction.atomic():
            Outcome.objects.create(
                feedback=fb,
                alert=alert,
                action_id=fb.action_id,
                context=context,
                window_start=start,
                window_weeks=stats.WINDOW_WEEKS,
                units_per_week=float(
                    sum(
                        OrderLine.objects.filter(
                            client_id=target.client_id,
                            product_id=target.product_id,
                            date__gte=start,
                            date__lt=start + dt.timedelta(weeks=stats.WINDOW_WEEKS),
                        ).values_list("units", flat=True)
                    )
                )
                / stats.WINDOW_WEEKS,
                threshold_units_per_week=0.0,
                recovered=bought,
            )
            RewardEvent.objects.create(
                feedback=fb,
                kind=RewardEvent.Kind.RECOVERED if bought else RewardEvent.Kind.LOST,
                context=context,
                action_id=fb.action_id,
                successes=float(bought),
                failures=float(not bought),
                recommendation=rec if rec and rec.action_id == fb.action_id else None,
            )
    except IntegrityError:
        return 0
    return 1


def conversion_report(targets):
    """Conversion of the judged clients: targeted vs not, and by combined-score band."""
    judged = [t for t in targets if t.bought is not None]

    def rate(rows):
        n = len(rows)
        b = sum(1 for r in rows if r.bought)
        return {"n": n, "buyers": b, "conversion": round(b / n, 4) if n else None}

    bands = []
    edges = SCORE_BANDS
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        rows = [
            t for t in judged if lo <= t.combined < hi or (hi == edges[-1] and t.combined >= hi)
        ]
        bands.append({"lo": lo, "hi": hi, **rate(rows)})
    return {
        "targeted": rate([t for t in judged if t.targeted]),
        "not_targeted": rate([t for t in judged if not t.targeted]),
        "bands": bands,
        "judged": len(judged),
        "clients": len(targets),
    }


def clients_without_rep():
    return Client.objects.filter(rep__isnull=True).count()
