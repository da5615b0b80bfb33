"""Read-side queries that combine the CRM with the engines (the only layer that may).

Visibility always comes from :mod:`crm.selectors`; this module adds what the engines know.
"""

from datetime import timedelta

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from crm import kinds
from crm.models import Alert, OrderLine, Potential, ProductFamily
from crm.selectors import alerts_visible_to
from recommender import selectors as recommender_selectors
from recommender.models import Outcome
from twins.models import TwinState
from twins.stats import potential as potential_rules


def recommendations_for(alerts):
    """``{alert_pk: latest recommendation}`` for a page of alerts, in one query."""
    return recommender_selectors.current_recommendations(alerts)


def recommendation_for(alert):
    """The recommender's current recommendation for ``alert``, or ``None`` until it has one."""
    return recommender_selectors.current_recommendation(alert)


#: ``TwinState.params["potential_reliability"]`` codes (``twins.stats.potential``) of a stated
#: potential judged not reliable.
UNRELIABLE_POTENTIAL = {
    potential_rules.ABOVE_PURCHASES: "above_purchases",
    potential_rules.UNREACHED: "unreached",
}


def client_families(client, *, today=None):
    """One row per family the client buys, has a twin for, or has a potential for.

    Each row: ``family``, ``twin`` (or ``None``), ``potential`` (annual euros, summed over
    sources), ``last_12m`` (net euros bought in the last 365 days), ``last_purchase`` and
    ``potential_unreliable``: ``None``, or why the latest scoring run judged the stated potential
    not reliable (no uncaptured-potential alert is raised against it): ``"above_purchases"``
    (the client buys more than it) or ``"unreached"`` (nine in ten comparable clients of the
    family capture less than a quarter of theirs; ``potential_reach`` holds that share).
    """
    today = today or timezone.localdate()
    rows = {}

    def row(family):
        return rows.setdefault(
            family.pk,
            {
                "family": family,
                "twin": None,
                "potential": None,
                "estimated_split": False,
                "from_forecast": False,
                "last_12m": 0,
                "last_purchase": None,
                "potential_unreliable": None,
                "potential_reach": None,
            },
        )

    for twin in TwinState.objects.filter(client=client).select_related("family"):
        r = row(twin.family)
        r["twin"] = twin
        verdict = (twin.params or {}).get("potential_reliability")
        r["potential_unreliable"] = UNRELIABLE_POTENTIAL.get(verdict)
        r["potential_reach"] = (twin.params or {}).get("potential_family_reach")
    for potential in client.potentials.select_related("family"):
        r = row(potential.family)
        r["potential"] = (r["potential"] or 0) + potential.annual_potential
        r["estimated_split"] |= potential.estimated_share is not None
        r["from_forecast"] |= potential.source == Potential.FORECAST_SOURCE
    bought = (
        OrderLine.objects.filter(client=client)
        .order_by()
        .values("family")
        .annotate(
            last=Max("date"),
            year=Sum("net_value", filter=Q(date__gt=today - timedelta(days=365))),
        )
    )
    bought = {b["family"]: b for b in bought}
    missing = set(bought) - set(rows)
    for family in ProductFamily.objects.filter(pk__in=missing):
        row(family)
    for pk, b in bought.items():
        rows[pk]["last_purchase"] = b["last"]
        rows[pk]["last_12m"] = b["year"] or 0
    return sorted(rows.values(), key=lambda r: r["family"].name)


def track_record(user):
    """Per alert kind, how often alerts were confirmed, and where that judgement comes from.

    Returns ``(rows, source)``. With the recommender's outcomes, an alert counts as confirmed
    when its outcome says the client's later orders bore it out; otherwise the rows fall back
    to closed alerts: resolved (confirmed) against dismissed as false alarms.
    """
    visible = alerts_visible_to(user)
    rows = {}
    outcomes = (
        Outcome.objects.filter(alert__in=visible.values("pk"))
        .order_by()
        .values("alert__kind")
        .annotate(
            n=Count("alert", distinct=True),
            confirmed=Count("alert", filter=Q(recovered=True), distinct=True),
        )
    )
    for o in outcomes:
        rows[o["alert__kind"]] = {"judged": o["n"], "confirmed": o["confirmed"]}
    source = "outcomes" if rows else "statuses"
    if not rows:
        closed = (
            visible.filter(status__in=[Alert.Status.RESOLVED, Alert.Status.DISMISSED])
            .order_by()
            .values("kind")
            .annotate(
                n=Count("pk"),
                confirmed=Count("pk", filter=Q(status=Alert.Status.RESOLVED)),
            )
        )
        for c in closed:
            rows[c["kind"]] = {"judged": c["n"], "confirmed": c["confirmed"]}
    totals = visible.order_by().values("kind").annotate(n=Count("pk"))
    result = []
    for t in totals:
        r = rows.get(t["kind"], {"judged": 0, "confirmed": 0})
        share = r["confirmed"] / r["judged"] if r["judged"] else None
        result.append(
            {"kind": t["kind"], "label": kinds.label(t["kind"]), "total": t["n"], **r}
            | {"share": share}
        )
    result.sort(key=lambda r: r["total"], reverse=True)
    return result, source
