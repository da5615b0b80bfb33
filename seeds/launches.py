"""Planted launches and early adopters for the demo (launch targeting, recommender.launch).

On top of the generated distributor, every ~14 weeks a new technical product came out (nine
past launches; the generator's own catalogue adds a few commodity launches). A tenth launch,
two products, comes out the Monday after the history ends: a draft that ``manage.py
target_launches`` (run by ``make seed``) targets, so the reps' queues hold "early adopter"
alerts.

Planted truth: each client has a hidden *innovativeness*
``z = 0.8 N(0, 1) + 1.0 [province in INNOVATIVE_PROVINCES] + 0.7 (technical spend share,
standardised)``. A client buys a launch within 12 weeks with probability
``sigmoid(-3.6 + 1.4 z + 5 a)``, where ``a`` is its affinity for the launched product: its
last-year spend share in the product's family, plus 0.3 x its share in the rest of the line.
Only clients who buy the family as planted (a stable or growing pair, or one with an
overstated potential) buy its new products, so the other planted scenarios stay as they are.
Early adopters buy fast (weeks to the first purchase geometric with success ``sigmoid(z)``),
then again 0-2 times (commodity 0-1) every 2-6 weeks, 1-2 units each; 6 % of the others
buy 13-40 weeks after the launch.
Spend carries no signal of its own. Half the launched products have no ``launch_date`` (it is
inferred from their first sale). Deterministic for a given seed and end date.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Sum

from crm.models import Client, Order, OrderLine, Product, ProductFamily
from recommender.launch.models import Launch

from .models import GroundTruth

INNOVATIVE_PROVINCES = ("Madrid", "Barcelona", "Valencia", "Bizkaia", "Málaga")
SPACING_WEEKS = 14
#: (family code, name, list price, attributes) of the past launches, oldest first.
PAST = (
    ("BIOS", "Enzymatic instrument cleaner, 1 L", 31.00, {"format": "bottle", "use": "hygiene"}),
    ("IMPL", "Tapered implant 4.3 x 10 mm", 195.00, {"format": "implant", "use": "surgery"}),
    ("BIOM", "Bone graft putty 0.5 cc", 110.00, {"format": "syringe", "use": "surgery"}),
    ("BIOS", "Sterilisation pouches 135x260, box of 200", 21.00, {"format": "box"}),
    ("IMPL", "Narrow implant 3.0 x 12 mm", 189.00, {"format": "implant", "use": "surgery"}),
    ("BIOM", "Collagen plug, box of 10", 45.00, {"format": "box", "use": "surgery"}),
    ("BIOS", "Ultrasonic bath tablets, box of 30", 26.00, {"format": "box", "use": "hygiene"}),
    ("IMPL", "Zirconia healing abutment", 49.00, {"use": "surgery"}),
    ("BIOM", "Pericardium membrane 20x30 mm", 139.00, {"format": "membrane", "use": "surgery"}),
)
#: The launch that comes out after the history: targeted by the seed.
CURRENT = (
    ("IMPL", "Short tapered implant 4.8 x 7 mm", 205.00, {"format": "implant", "use": "surgery"}),
    ("BIOM", "Xenograft granules 1 g", 95.00, {"format": "vial", "use": "surgery"}),
)
CURRENT_NAME = "Surgery collection"
OPEN_SCENARIOS = ("stable", "growing", "unreliable_potential")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def seed_launches(*, seed, end, weeks, target_per_rep=8):
    """Plant the past launches and their buyers, create the current launch (a draft).

    Returns ``{"launches", "products", "lines", "launch"}`` (the draft current launch).
    """
    with transaction.atomic():
        return _plant(seed, end, weeks, target_per_rep)


def _plant(seed, end, weeks, target_per_rep):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    Launch.objects.all().delete()  # the demo's launches are replaced with the demo
    end = pd.Timestamp(end)
    offsets = list(range(weeks - 28, 13, -SPACING_WEEKS))[-len(PAST) :]
    plan = PAST[-len(offsets) :] if offsets else ()
    fams = {f.code: f for f in ProductFamily.objects.select_related("line")}
    clients = list(Client.objects.values_list("pk", "province"))
    if not clients or not fams:
        return {"launches": 0, "products": 0, "lines": 0, "launch": None}
    cid = np.array([c[0] for c in clients])
    technical = {f.pk for f in fams.values() if f.kind == ProductFamily.Kind.TECHNICAL}
    every = _spend()
    total = every.groupby("client")["value"].sum().reindex(cid).fillna(0.0)
    tech = every.loc[every["family"].isin(technical)].groupby("client")["value"].sum()
    tech_share = (tech.reindex(cid).fillna(0.0) / total.replace(0, np.nan)).fillna(0.0).to_numpy()
    std = (tech_share - tech_share.mean()) / (tech_share.std() or 1.0)
    # The pairs that may buy a family's new products without changing their planted scenario.
    open_pairs = set(
        GroundTruth.objects.filter(scenario__in=OPEN_SCENARIOS).values_list(
            "client_id", "family_id"
        )
    )
    innovative = np.isin([c[1] for c in clients], INNOVATIVE_PROVINCES)
    z = 0.8 * rng.standard_normal(len(cid)) + 1.0 * innovative + 0.7 * std

    orders, order_lines, n_products = [], [], 0
    serial = Order.objects.filter(invoice_number__startswith="LN").count()
    for n, ((code, name, price, attrs), offset) in enumerate(zip(plan, offsets, strict=True)):
        fam = fams.get(code)
        if fam is None:
            continue
        day = (end - pd.Timedelta(weeks=offset) + pd.Timedelta(days=1)).normalize()
        product = Product.objects.create(
            code=f"{code}-N{n + 1:02d}",
            name=name,
            family=fam,
            launch_date=day.date() if n % 2 == 0 else None,
            list_price=Decimal(f"{price:.2f}"),
            attributes={"line": fam.line.code if fam.line else "", "synthetic": True, **attrs},
        )
        n_products += 1
        year = _spend((day - pd.Timedelta(weeks=52)).date(), day.date())
        spend = year.groupby("client")["value"].sum().reindex(cid).fillna(0.0)
        in_fam = year.loc[year["family"] == fam.pk].groupby("client")["value"].sum()
        line_fams = [f.pk for f in fams.values() if f.line_id == fam.line_id and f.pk != fam.pk]
        in_line = year.loc[year["family"].isin(line_fams)].groupby("client")["value"].sum()
        denom = spend.replace(0, np.nan)
        a = (in_fam.reindex(cid).fillna(0.0) / denom).fillna(0.0) + 0.3 * (
            in_line.reindex(cid).fillna(0.0) / denom
        ).fillna(0.0)
        p = _sigmoid(-3.6 + 1.4 * z + 5.0 * a.to_numpy())
        allowed = np.array([(int(c), fam.pk) in open_pairs for c in cid])
        adopt = (rng.random(len(cid)) < p) & allowed
        first = np.minimum(rng.geometric(_sigmoid(z)) - 1, 11)
        late = (~adopt) & (rng.random(len(cid)) < 0.06) & allowed
        for i in np.flatnonzero(adopt | late):
            start = int(first[i]) if adopt[i] else int(rng.integers(13, 41))
            when = [start]
            commodity = fam.kind != "technical"
            for _ in range(int(rng.integers(0, 2 if commodity else 3))):
                when.append(when[-1] + int(rng.integers(2, 7)))
            for w in when:
                date = (day + pd.Timedelta(weeks=w, days=int(rng.integers(0, 5)))).date()
                if date > end.date():
                    break
                serial += 1
                units = int(rng.integers(1, 3))  # a trial: small beside the usual buying
                value = round(units * price * (1 - rng.uniform(0, 0.1)), 2)
                orders.append(
                    Order(invoice_number=f"LN{serial:09d}", date=date, client_id=int(cid[i]))
                )
                order_lines.append((date, int(cid[i]), product, fam, units, value))
    orders = Order.objects.bulk_create(orders, batch_size=1000)
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=o,
                line_number=1,
                product=prod,
                units=Decimal(units),
                net_value=Decimal(f"{value:.2f}"),
                date=date,
                client_id=client,
                family=fam,
            )
            for o, (date, client, prod, fam, units, value) in zip(orders, order_lines, strict=True)
        ),
        batch_size=1000,
    )
    # Without a past launch there is nothing to learn from: no current launch either.
    launch = _current_launch(end, fams, target_per_rep) if n_products else None
    return {
        "launches": len(offsets) + (1 if launch else 0),
        "products": n_products,
        "lines": len(order_lines),
        "launch": launch,
    }


def _spend(since=None, until=None):
    """Spend per (client, family) from ``since`` to before ``until``, summed in the database."""
    qs = OrderLine.objects.all()
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lt=until)
    rows = qs.order_by().values_list("client_id", "family_id").annotate(value=Sum("net_value"))
    frame = pd.DataFrame(list(rows), columns=["client", "family", "value"])
    frame["value"] = frame["value"].astype(float)
    return frame


def _current_launch(end, fams, target_per_rep):
    day = (end + pd.Timedelta(days=1)).date()
    products = []
    for k, (code, name, price, attrs) in enumerate(CURRENT):
        fam = fams.get(code)
        if fam is None:
            continue
        products.append(
            Product.objects.create(
                code=f"{code}-L{k + 1:02d}",
                name=name,
                family=fam,
                launch_date=day,
                list_price=Decimal(f"{price:.2f}"),
                attributes={"line": fam.line.code if fam.line else "", "synthetic": True, **attrs},
            )
        )
    if not products:
        return None
    launch = Launch.objects.create(
        name=CURRENT_NAME, launch_date=min(day, dt.date.today()), target_per_rep=target_per_rep
    )
    launch.products.set(products)
    return launch
