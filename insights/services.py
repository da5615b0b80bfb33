"""Write-side of the insights engine: the refit that segments the clients, scores their churn
risk, forecasts their next-quarter value (``insights.value_forecast``), sums the territories'
and provinces' figures and publishes all of it (and the HIGH-risk alerts) in one transaction.

Reads order lines through the ORM, fits with the pure :mod:`insights.stats`, then publishes:
a failed run leaves the previous segments, scores and alerts in place. Running it twice for
the same date changes nothing but the run rows (memberships are one per client and date, the
live alert of a client is refreshed, not duplicated).
"""

import contextlib
import datetime as dt
import time
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from crm.bulkload import batched
from crm.models import Alert, Campaign, OrderLine, Potential
from crm.selectors import run_as_of
from crm.signals import alerts_published
from voice import selectors as voice

from . import alert_kinds, defaults
from . import territory as territories
from .models import ChurnScore, ChurnTier, InsightsRun, Segment, SegmentMembership
from .potential_feed import estimate_potentials, publish_potentials
from .stats import churn as C
from .stats import features as F
from .stats import segments as S
from .value_forecast import forecast_values, publish_value_forecasts

CENT = Decimal("0.01")
#: The twins' kinds that already say "this client is (partly) stopping": a HIGH churn risk on
#: a client with one of these live is merged into it instead of raising a second alert.
STOP_BUYING_KINDS = ("full_churn", "partial_churn", "cross_family_decline")
#: Years of order lines read (features look two years back from the oldest replay date).
READ_DAYS = 3 * 365
SNAPSHOTS = 12
SNAPSHOT_STEP_DAYS = 28
#: Clients whose history is replayed to train the churn model (a random sample beyond it).
TRAIN_CLIENTS = 4000


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def ensure_defaults():
    """Create the default tiers and segments' playbooks that do not exist."""
    for code, (p, action, min_stake) in defaults.TIERS.items():
        ChurnTier.objects.get_or_create(
            code=code,
            defaults={"min_probability": p, "action": action, "alert_min_at_stake": min_stake},
        )
    for code, playbook in defaults.PLAYBOOKS.items():
        Segment.objects.get_or_create(code=code, defaults={"playbook": playbook})


def read_lines(as_of) -> pd.DataFrame:
    """Net value per (client, family, date) up to ``as_of``, the last :data:`READ_DAYS`."""
    since = as_of - dt.timedelta(days=READ_DAYS)
    if connection.vendor == "postgresql":
        return _read_lines_postgresql(since, as_of)
    rows = (
        OrderLine.objects.filter(date__gt=since, date__lte=as_of)
        .values("client_id", "family_id", "date")
        .annotate(v=Sum("net_value"))
        .values_list("client_id", "family_id", "date", "v")
    )
    df = pd.DataFrame.from_records(list(rows), columns=["client", "family", "date", "value"])
    df["date"] = pd.to_datetime(df["date"])
    df["value"] = df["value"].astype(float)
    return df


#: Clients per query of :func:`_read_lines_postgresql` (about 1.3 million demo rows).
READ_CHUNK_CLIENTS = 5000


def _read_lines_postgresql(since, as_of) -> pd.DataFrame:
    """:func:`read_lines` on PostgreSQL: the lines fetched as four binary arrays per chunk of
    clients (``array_send``) decoded by numpy, no Python object per row (the ORM took minutes
    for 5 million rows; COPY still makes one call per row); summed per (client, family, date)
    here in integer cents, exactly as the database's ``SUM`` (which cost the server twice the
    CPU of the plain read)."""
    table = connection.ops.quote_name(OrderLine._meta.db_table)
    sql = (
        "SELECT array_send(array_agg(client_id::int8)), array_send(array_agg(family_id::int8)),"
        " array_send(array_agg((date - DATE '1970-01-01')::int4)),"
        f" array_send(array_agg((net_value * 100)::int8)) FROM {table}"
        " WHERE date > %s AND date <= %s AND client_id >= %s AND client_id < %s"
    )
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(client_id), MAX(client_id) FROM {table} WHERE date > %s AND date <= %s",
            [since, as_of],
        )
        lo, hi = cursor.fetchone()
        for first in range(lo or 0, (hi or -1) + 1, READ_CHUNK_CLIENTS):
            cursor.execute(sql, [since, as_of, first, first + READ_CHUNK_CLIENTS])
            row = cursor.fetchone()
            if row[0] is not None:
                types = (">i8", ">i8", ">i4", ">i8")
                parts.append([_unsend(bytes(b), t) for b, t in zip(row, types, strict=True)])
    c, f, d, cents = (
        np.concatenate([part[j] for part in parts] or [np.zeros(0, np.int64)]).astype(np.int64)
        for j in range(4)
    )
    c, f, d, cents = _sum_per_day(c, f, d, cents)
    return pd.DataFrame(
        {
            "client": c,
            "family": f,
            "date": d.astype("datetime64[D]").astype("datetime64[ns]"),
            "value": cents / 100.0,
        }
    )


def _sum_per_day(client, family, day, cents):
    """The integer ``cents`` summed per (client, family, day), sorted by the three."""
    if not len(day):
        return client, family, day, cents
    span = [int(x.max() - x.min()) + 1 for x in (client, family, day)]
    if span[0] * span[1] * span[2] < 2**62:  # one int64 key: one sort instead of three
        key = ((client - client.min()) * span[1] + family - family.min()) * span[2]
        order = np.argsort(key + day - day.min())
    else:
        order = np.lexsort((day, family, client))
    client, family, day, cents = client[order], family[order], day[order], cents[order]
    new = np.ones(len(day), bool)
    new[1:] = (client[1:] != client[:-1]) | (family[1:] != family[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    return client[starts], family[starts], day[starts], np.add.reduceat(cents, starts)


def _unsend(buf, dtype) -> np.ndarray:
    """The values of a one-dimensional PostgreSQL array without NULLs in its binary form
    (``array_send``): a header (dimensions, NULL flag, element type, then length and lower
    bound per dimension), then each element's byte length and big-endian value."""
    ndim, has_null = np.frombuffer(buf, ">i4", 2)
    if ndim == 0:
        return np.zeros(0, dtype)
    if ndim != 1 or has_null:
        raise ValueError("expected a one-dimensional array without NULLs")
    rows = np.frombuffer(buf, [("n", ">i4"), ("v", dtype)], offset=20)
    return rows["v"].astype(np.dtype(dtype).newbyteorder("="))


def read_signals(history, as_of) -> F.Signals:
    """The voice engine's events (notes' sentiment, complaints, NPS answers) as far back as
    the oldest replay date's windows, and the clients' response to the campaigns whose
    comparison window lies in the lines read (:data:`READ_DAYS` up to ``as_of``)."""
    oldest = C.HORIZON_DAYS + (SNAPSHOTS - 1) * SNAPSHOT_STEP_DAYS  # the oldest replay date
    windows = (F.SENTIMENT_DAYS, F.COMPLAINT_DAYS, F.NPS_DAYS)
    events = voice.client_signals(as_of - dt.timedelta(days=oldest + max(windows)), as_of)
    first = as_of - dt.timedelta(days=READ_DAYS - F.CAMPAIGN_BEFORE_DAYS)
    campaigns = [
        (c.start, c.end, [f.pk for f in c.families.all()])
        for c in Campaign.objects.filter(start__gt=first, end__lte=as_of).prefetch_related(
            "families"
        )
    ]
    return F.Signals(**events, campaigns=history.campaign_outcomes(campaigns))


def _potential():
    rows = (
        Potential.objects.exclude(source=Potential.FORECAST_SOURCE)  # stated potentials only
        .values("client_id")
        .annotate(p=Sum("annual_potential"))
    )
    return pd.Series({r["client_id"]: float(r["p"]) for r in rows}, dtype=float)


def refit(as_of=None) -> InsightsRun:
    """Refit segments and churn risk as of ``as_of`` (default: today, or the latest order's
    week when the data ends earlier; ``crm.selectors.run_as_of``) and publish them."""
    as_of = run_as_of(as_of)
    ensure_defaults()
    run = InsightsRun.objects.create(as_of=as_of)
    timings = {}
    clock = _Clock(timings)
    try:
        with clock("read"):
            lines = read_lines(as_of)
            potential = _potential()
        with clock("features"):
            history = F.History(lines)  # sorted once for today and every replay date
        with clock("signals"):
            signals = read_signals(history, as_of)
        with clock("features"):
            clients = history.active(as_of)
            feats = history.features(as_of, clients, potential, signals)
        with clock("segments"):
            seg = S.cluster(feats) if len(feats) else None
        with clock("snapshots"):
            dates = C.snapshot_dates(as_of, SNAPSHOTS, SNAPSHOT_STEP_DAYS)
            sample = C.training_sample(history, TRAIN_CLIENTS)
            X, y = C.training_frame(sample, dates, signals=signals)
        with clock("fit"):
            model = C.fit(X, y)
        with clock("score"):
            p = model.predict(feats) if len(feats) else np.zeros(0)
            why = C.reasons(model, feats) if len(feats) else []
        with clock("value_forecast"):
            values = forecast_values(as_of, lines, feats.index)
            estimated = estimate_potentials(as_of, lines, values)
        with clock("territories"):
            units = territories.unit_figures(lines, as_of)
        del lines, history
        with clock("publish"), transaction.atomic():
            published = _publish(run, as_of, feats, seg, model, p, why)
            values.info["estimated_potentials"] = publish_potentials(estimated)
            publish_value_forecasts(run, as_of, values)
            territories.publish(run, units)
    except Exception as exc:
        InsightsRun.objects.filter(pk=run.pk).update(
            status=InsightsRun.Status.FAILED, error=repr(exc), finished_at=timezone.now()
        )
        raise
    try:
        if published:
            with clock("notify"):  # the recommender picks the new alerts' actions
                alerts_published.send(sender=Alert, alert_ids=published)
    finally:
        InsightsRun.objects.filter(pk=run.pk).update(
            timings={k: round(v, 3) for k, v in timings.items()}
        )
    run.refresh_from_db()
    return run


class _Clock:
    """``with clock("phase"):`` adds the phase's wall seconds to ``timings[phase]`` and this
    process's CPU seconds to ``timings[phase + "_cpu"]`` (the database's own CPU not counted);
    a phase timed twice adds up."""

    def __init__(self, timings):
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, phase):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            cpu_key = f"{phase}_cpu"
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - wall
            self.timings[cpu_key] = self.timings.get(cpu_key, 0.0) + time.process_time() - cpu


def _tier_bounds():
    t = {x.code: x for x in ChurnTier.objects.all()}
    return t, t["high"].min_probability, t["medium"].min_probability


def _publish(run, as_of, feats, seg, model, p, why):
    tiers, high, medium = _tier_bounds()
    ids = feats.index.to_numpy(dtype=np.int64)
    codes = seg.client_codes() if seg is not None else np.array([], dtype=object)
    # Segments and memberships.
    segments = {}
    for code in sorted(set(codes)):
        obj, _ = Segment.objects.get_or_create(
            code=code, defaults={"playbook": defaults.PLAYBOOKS.get(code, "")}
        )
        segments[code] = obj
    if seg is not None:
        for code, row in seg.profiles.iterrows():
            prof = {k: float(v) for k, v in row.items()}
            Segment.objects.filter(code=code).update(profile={"as_of": str(as_of), **prof})
        Segment.objects.exclude(code__in=list(segments)).update(profile={})
    SegmentMembership.objects.filter(as_of=as_of).delete()
    SegmentMembership.objects.bulk_create(
        (
            SegmentMembership(client_id=int(c), segment=segments[code], as_of=as_of, run=run)
            for c, code in zip(ids, codes, strict=True)
        ),
        batch_size=2000,
    )
    # Churn scores; a HIGH one with the twins' stop-buying alert live is merged into it.
    tier = C.tiers(p, high, medium)
    value = feats["monetary"].clip(lower=0).to_numpy()
    at_stake = [_money(v * q) for v, q in zip(value, p, strict=True)]
    floor = tiers["high"].alert_min_at_stake
    high_ids = zip(ids, tier, at_stake, strict=True)
    wanted = [int(c) for c, t, a in high_ids if t == "high" and a >= floor]
    twins_live = _twins_live(wanted)
    ChurnScore.objects.all().delete()
    recency = feats["recency_days"].to_numpy()  # columns once, not a pandas lookup per client
    median_gap = feats["median_gap_days"].to_numpy()
    scores = []
    for i, c in enumerate(ids):
        scores.append(
            ChurnScore(
                client_id=int(c),
                run=run,
                as_of=as_of,
                p_churn=float(p[i]),
                tier=str(tier[i]),
                value_12m=_money(value[i]),
                at_stake=at_stake[i],
                merged_into=twins_live.get(int(c)),
                reasons=[[n, v, d] for n, v, d in why[i]],
                features={
                    "recency_days": float(recency[i]),
                    "median_gap_days": float(median_gap[i]),
                    "segment": str(codes[i]) if len(codes) else "",
                },
            )
        )
    ChurnScore.objects.bulk_create(scores, batch_size=2000)
    created, updated, expired, merged, published = _alerts(
        run, as_of, scores, tiers, segments, twins_live
    )
    info = {
        "has_signal": model.has_signal,
        "base_rate": model.base_rate,
        "n_train": model.n_train,
        "n_events": model.n_events,
        **model.validation,
    }
    segmentation = {}
    if seg is not None:
        segmentation = {"k": seg.k, "silhouettes": {str(k): v for k, v in seg.silhouettes.items()}}
    InsightsRun.objects.filter(pk=run.pk).update(
        status=InsightsRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        clients=len(ids),
        alerts_created=created,
        alerts_updated=updated,
        alerts_expired=expired,
        alerts_merged=merged,
        segmentation=segmentation,
        model_info=info,
    )
    return published


def _twins_live(client_ids):
    """Per client, its highest-priority live alert of the twins' :data:`STOP_BUYING_KINDS`."""
    twins_live = {}
    for ids in batched(client_ids):
        for a in Alert.objects.filter(
            client_id__in=ids, kind__in=STOP_BUYING_KINDS, status__in=Alert.LIVE_STATUSES
        ).order_by("-priority"):
            twins_live.setdefault(a.client_id, a)
    return twins_live


def _alerts(run, as_of, scores, tiers, segments, twins_live):
    """Raise, refresh or expire the HIGH-risk alerts; merge into the twins' stop-buying ones
    (``twins_live``: per client, the twins' alert its score was merged into)."""
    kind = alert_kinds.CHURN_RISK
    floor = tiers["high"].alert_min_at_stake
    wanted = {s.client_id: s for s in scores if s.tier == "high" and s.at_stake >= floor}
    live = {
        a.client_id: a
        for a in Alert.objects.select_for_update().filter(kind=kind, status__in=Alert.LIVE_STATUSES)
    }
    since = timezone.now() - dt.timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    cooling = set(
        Alert.objects.filter(
            kind=kind, status=Alert.Status.DISMISSED, updated_at__gte=since
        ).values_list("client_id", flat=True)
    )
    created = updated = 0
    published, merged_into = [], []
    for client_id, s in wanted.items():
        evidence = {
            "p_churn": round(s.p_churn, 4),
            "tier": s.tier,
            "value_12m": float(s.value_12m),
            "at_stake": float(s.at_stake),
            "days_since_order": int(s.features["recency_days"]),
            "usual_gap_days": round(s.features["median_gap_days"], 1),
            "segment": str(segments[s.features["segment"]].label) if s.features["segment"] else "",
            "reasons": s.reasons,
            "action": tiers["high"].action,
        }
        twin = twins_live.get(client_id)
        if twin is not None:
            # One alert per client: the twins' one carries the client-level risk as well.
            twin.evidence = {**twin.evidence, "client_churn": evidence}
            twin.updated_at = timezone.now()
            merged_into.append(twin)
            continue
        fields = {
            "priority": s.at_stake,
            "score": s.p_churn,
            "evidence": evidence,
            "as_of": as_of,
        }
        alert = live.pop(client_id, None)
        if alert is not None:
            for name, value in fields.items():
                setattr(alert, name, value)
            alert.save(update_fields=[*fields, "updated_at"])
            updated += 1
        elif client_id in cooling:
            continue
        else:
            alert = Alert.objects.create(
                client_id=client_id,
                kind=kind,
                dedup_key=Alert.make_dedup_key(client_id, None, kind),
                **fields,
            )
            created += 1
        published.append(alert.pk)
    Alert.objects.bulk_update(merged_into, ["evidence", "updated_at"], batch_size=200)
    merged = len(merged_into)
    expired = Alert.objects.filter(pk__in=[a.pk for a in live.values()]).update(
        status=Alert.Status.EXPIRED, closed_at=timezone.now()
    )
    return created, updated, expired, merged, published
