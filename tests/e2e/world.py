"""A small, realistic CRM world shared by the page tests and the browser tests."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import (
    Alert,
    Client,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
    User,
    VisitNote,
)
from recommender.models import Action
from twins.models import TwinState

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    manager: User
    other_manager: User
    ana: User
    ben: User
    carla: User
    families: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)


def weekly_evidence(as_of, *, drop_from=20, weeks=26):
    """Commodity evidence: steady ~10 units a week, falling to ~3 from ``drop_from`` on."""
    rows = []
    for i in range(weeks):
        start = as_of - timedelta(weeks=weeks - i)
        units = 3.0 if i >= drop_from else 10.0 + (i % 3) - 1
        out = units < 5.5
        rows.append(
            {
                "week_start": start.isoformat(),
                "units": units,
                "expected": 10.0,
                "p5": 5.5,
                "p95": 14.5,
                "campaign": i in (8, 9),
                "out_of_band": out,
            }
        )
    return {
        "kind": "partial_churn",
        "family_kind": "commodity",
        "maturity_weeks": 120,
        "magnitude": 0.7,
        "expected_units_per_week": 10.0,
        "euros_at_stake": 1840.0,
        "probability": 0.97,
        "p_value": 0.001,
        "family_name": "Anaesthesia cartridges",
        "window_weeks": 26 - drop_from,
        "observed_units": 3.0 * (26 - drop_from),
        "expected_units": 10.0 * (26 - drop_from),
        "recovery_threshold_units_per_week": 6.2,
        "horizon_weeks": 8,
        "recent_weeks": rows,
    }


def technical_evidence():
    return {
        "kind": "technical_deterioration",
        "family_kind": "technical",
        "maturity_weeks": 150,
        "magnitude": 0.8,
        "expected_units_per_week": 0.6,
        "euros_at_stake": 960.0,
        "p_value": 0.012,
        "family_name": "Implants",
        "median_gap_days": 39,
        "gap_trend": 1.0,
        "horizon_weeks": 8,
        "gaps_days": [35, 42, 28, 49, 38, 44, 31, 40],
        "p75_gap_days": 44.0,
        "p90_gap_days": 52.0,
        "current_silence_days": 71,
        "last_purchase": "2026-09-14",
    }


def _user(username, role, first, last, **extra):
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        language="en",
        **extra,
    )
    return user


def make_world(*, extra_alerts=0):
    """Two managers, three reps, five clients, alerts of several kinds, orders and notes.

    ``extra_alerts`` adds that many more open alerts to Ana's queue (for pagination).
    """
    today = timezone.localdate()
    now = timezone.now()
    manager = _user("marta", User.Role.MANAGER, "Marta", "Ruiz")
    other_manager = _user("oscar", User.Role.MANAGER, "Óscar", "Vidal")
    ana = _user("ana", User.Role.REP, "Ana", "García", manager=manager)
    ben = _user("ben", User.Role.REP, "Ben", "Soler", manager=manager)
    carla = _user("carla", User.Role.REP, "Carla", "Mora", manager=other_manager)
    w = World(manager, other_manager, ana, ben, carla)

    for code, name, kind in [
        ("ANES", "Anaesthesia cartridges", ProductFamily.Kind.COMMODITY),
        ("NEED", "Needles", ProductFamily.Kind.COMMODITY),
        ("IMPL", "Implants", ProductFamily.Kind.TECHNICAL),
    ]:
        w.families[code] = ProductFamily.objects.create(code=code, name=name, kind=kind)
    # The same names and kinds as recommender's default actions (flushed by browser tests).
    for order, (code, es, en, kinds) in enumerate(
        [
            ("visit", "Visita", "Visit", []),
            ("call", "Llamada", "Phone call", []),
            ("offer", "Oferta", "Offer", ["partial_churn", "full_churn", "cross_sell"]),
            ("email", "Email", "Email", ["partial_churn", "suspicious_pause", "cross_sell"]),
        ]
    ):
        w.actions[code], _ = Action.objects.update_or_create(
            code=code,
            defaults={
                "name_es": es,
                "name_en": en,
                "alert_kinds": kinds,
                "sort_order": order,
                "active": True,
            },
        )
    Action.objects.exclude(code__in=w.actions).update(active=False)

    for code, name, province, rep in [
        ("C001", "Clínica Dental Sonrisa", "Madrid", ana),
        ("C002", "Centro Odontológico Norte", "Toledo", ana),
        ("C003", "Dentalia Retiro", "Madrid", ana),
        ("C004", "Clínica Bahía", "Cádiz", ben),
        ("C005", "Odontología Levante", "Valencia", carla),
    ]:
        w.clients[code] = Client.objects.create(code=code, name=name, province=province, rep=rep)

    fam = w.families
    products = {
        f: Product.objects.create(code=f"P-{f}", name=f"{fam[f].name} std", family=fam[f])
        for f in fam
    }
    for n, (client_code, fcode, days_ago, units, value) in enumerate(
        [
            ("C001", "ANES", 90, 10, "420.00"),
            ("C001", "ANES", 20, 3, "126.00"),
            ("C002", "IMPL", 71, 2, "980.00"),
            ("C003", "NEED", 40, 20, "88.50"),
        ]
    ):
        client = w.clients[client_code]
        order_day = today - timedelta(days=days_ago)
        order = Order.objects.create(invoice_number=f"F-{n:04d}", date=order_day, client=client)
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product=products[fcode],
            units=Decimal(units),
            net_value=Decimal(value),
            date=order_day,
            client=client,
            family=fam[fcode],
        )
    Potential.objects.create(
        client=w.clients["C001"], family=fam["ANES"], annual_potential=Decimal("6000")
    )
    for client, family, kind, expected, low, high, p_active in [
        ("C001", "ANES", "commodity", 10.0, 5.5, 14.5, 0.93),
        ("C002", "IMPL", "technical", 0.6, 0.0, 2.0, 0.71),
    ]:
        TwinState.objects.create(
            client=w.clients[client],
            family=fam[family],
            kind=kind,
            as_of=today,
            mature=True,
            expected_next=expected,
            band_low=low,
            band_high=high,
            p_active=p_active,
        )
    VisitNote.objects.create(
        client=w.clients["C001"], author=ana, text="Visited in September; new dentist joined."
    )

    def alert(name, client, family, kind, euros, evidence=None, days_old=1, **extra):
        client, family = w.clients[client], fam.get(family)
        w.alerts[name] = Alert.objects.create(
            client=client,
            family=family,
            kind=kind,
            dedup_key=Alert.make_dedup_key(client.pk, family.pk if family else None, kind),
            priority=Decimal(euros),
            evidence=evidence or {"kind": kind, "euros_at_stake": float(euros)},
            as_of=today,
            created_at=now - timedelta(days=days_old),
            **extra,
        )

    alert("churn", "C001", "ANES", "partial_churn", "1840", weekly_evidence(today), days_old=3)
    alert("technical", "C002", "IMPL", "technical_deterioration", "960", technical_evidence())
    alert("stopped", "C003", "NEED", "full_churn", "310", days_old=12)
    alert("ben_pause", "C004", "NEED", "suspicious_pause", "520", days_old=9)
    alert("carla_churn", "C005", "ANES", "partial_churn", "2500")
    alert(
        "old_dismissed",
        "C003",
        "ANES",
        "partial_churn",
        "150",
        status=Alert.Status.DISMISSED,
        days_old=60,
    )
    extra_kinds = ["partial_churn", "suspicious_pause", "uncaptured_potential", "cross_sell"]
    for i in range(extra_alerts):
        name, province = EXTRA_CLIENTS[i % len(EXTRA_CLIENTS)]
        client = Client.objects.create(
            code=f"X{i:04d}", name=f"{name} {i + 1}", province=province, rep=ana
        )
        w.clients[client.code] = client
        family = ["NEED", "ANES", "IMPL"][i % 3]
        euros = str(1500 - 37 * i)
        alert(f"extra{i}", client.code, family, extra_kinds[i % 4], euros, days_old=i % 20)
    recommend(w)
    return w


def recommend(w):
    """Store the recommender's pick for most alerts, as a scoring run would."""
    from recommender.models import Recommendation

    picks = ["visit", "call", "offer", "email"]
    for i, (name, alert) in enumerate(sorted(w.alerts.items())):
        if not alert.is_live or name == "stopped":
            continue
        action = w.actions[picks[i % 4]]
        if not action.applies_to(alert.kind):
            action = w.actions["call"]
        Recommendation.objects.create(
            alert=alert,
            action=action,
            context=f"{alert.kind}|x",
            propensity=0.6,
            confidence=0.42 + 0.05 * (i % 6),
        )


EXTRA_CLIENTS = [
    ("Clínica Dental Aljarafe", "Sevilla"),
    ("Policlínica Goya", "Madrid"),
    ("Dental Mediterránea", "Valencia"),
    ("Centro Dental Triana", "Sevilla"),
    ("Clínica Álamo", "Toledo"),
]
