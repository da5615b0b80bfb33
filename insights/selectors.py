"""Read-side queries of the insights engine, for the pages and the API."""

from django.db.models import Count, Q, Sum

from .models import (
    ChurnScore,
    ChurnTier,
    InsightsRun,
    Segment,
    SegmentMembership,
    ValueForecast,
)


def latest_run():
    return InsightsRun.objects.filter(status=InsightsRun.Status.SUCCEEDED).first()


def tiers():
    return {t.code: t for t in ChurnTier.objects.all()}


def client_insights(client):
    """A client's segment history (moves only, newest first), churn score, tier action and
    latest value forecast."""
    memberships = list(
        SegmentMembership.objects.filter(client=client).select_related("segment").order_by("as_of")
    )
    moves = []
    for m in memberships:
        if not moves or moves[-1]["segment"].pk != m.segment_id:
            moves.append({"segment": m.segment, "since": m.as_of, "previous": None})
            if len(moves) > 1:
                moves[-1]["previous"] = moves[-2]["segment"]
    score = ChurnScore.objects.filter(client=client).select_related("merged_into").first()
    tier = tiers().get(score.tier) if score else None
    return {
        "forecast": ValueForecast.objects.filter(client=client).order_by("-as_of").first(),
        "segment": moves[-1]["segment"] if moves else None,
        "since": moves[-1]["since"] if moves else None,
        "moves": list(reversed(moves)),
        "score": score,
        "tier": tier,
    }


def segment_table(client_ids=None):
    """Per segment of the latest run: clients, revenue share, medians, playbook."""
    segs = Segment.objects.exclude(profile={}).order_by("code")
    return sorted(segs, key=lambda s: -float(s.profile.get("share_revenue", 0)))


def segments_over_time(clients_q=None, limit=12):
    """{as_of: {segment code: clients}} for the last ``limit`` run dates, oldest first."""
    qs = SegmentMembership.objects.all()
    if clients_q is not None:
        qs = qs.filter(client__in=clients_q)
    dates = sorted(set(qs.values_list("as_of", flat=True).distinct()))[-limit:]
    rows = qs.filter(as_of__in=dates).values("as_of", "segment__code").annotate(n=Count("id"))
    out = {d: {} for d in dates}
    for r in rows:
        out[r["as_of"]][r["segment__code"]] = r["n"]
    return out


def tiers_by_rep(clients_q=None):
    """Rows per rep: clients per tier and euros at stake in HIGH."""
    qs = ChurnScore.objects.all()
    if clients_q is not None:
        qs = qs.filter(client__in=clients_q)
    rows = (
        qs.values("client__rep__username", "client__rep__first_name", "client__rep__last_name")
        .annotate(
            high=Count("id", filter=Q(tier="high")),
            medium=Count("id", filter=Q(tier="medium")),
            low=Count("id", filter=Q(tier="low")),
            at_stake=Sum("at_stake", filter=Q(tier="high")),
        )
        .order_by("client__rep__username")
    )
    return list(rows)


def high_risk_clients(clients_q=None, limit=20):
    qs = ChurnScore.objects.filter(tier="high").select_related("client", "client__rep")
    if clients_q is not None:
        qs = qs.filter(client__in=clients_q)
    return list(qs.order_by("-at_stake")[:limit])


def latest_forecasts(clients_q=None):
    """The value forecasts of the newest refit date (of ``clients_q`` when given)."""
    day = ValueForecast.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    qs = ValueForecast.objects.filter(as_of=day)
    if clients_q is not None:
        qs = qs.filter(client__in=clients_q)
    return qs
