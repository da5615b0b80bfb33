"""A small distributor with past launches and planted early adopters, for the launch tests."""

import datetime as dt
from decimal import Decimal

import numpy as np

from crm.models import Client, Order, OrderLine, Product, ProductFamily, ProductLine, User

PASSWORD = "correct-horse-battery"
#: The clients with these codes are the planted early adopters (they buy every launch fast).
EARLY = ("C000", "C001", "C002", "C003", "C004", "C005")


def make_world(today, n_clients=40, weeks=70, seed=0):
    """Two reps, three families, 4 past launches (every 12 weeks, from ``weeks`` - 20 weeks
    ago) bought within 2 weeks by the clients in :data:`EARLY` and by few others. Returns a
    dict with the reps, families and the products of the past launches."""
    rng = np.random.default_rng(seed)
    reps = [
        User.objects.create_user(
            name, password=PASSWORD, role=User.Role.REP, first_name=name.title(), language=lang
        )
        for name, lang in (("ana", "es"), ("ben", "en"))
    ]
    surg = ProductLine.objects.create(code="SURG", name="Surgery")
    anest = ProductLine.objects.create(code="ANEST", name="Anaesthesia")
    fams = {
        "ANES": ProductFamily.objects.create(
            code="ANES", name="Anaesthesia cartridges", kind="commodity", line=anest
        ),
        "IMPL": ProductFamily.objects.create(
            code="IMPL", name="Implants", kind="technical", line=surg
        ),
        "BIOM": ProductFamily.objects.create(
            code="BIOM", name="Biomaterials", kind="technical", line=surg
        ),
    }
    old = {
        code: Product.objects.create(
            code=f"{code}-001",
            name=f"Classic {fam.name.lower()}",
            family=fam,
            launch_date=today - dt.timedelta(days=3650),
            list_price=Decimal(price),
            attributes={"use": "daily" if code == "ANES" else "surgery"},
        )
        for (code, fam), price in zip(fams.items(), ("30.00", "180.00", "90.00"), strict=True)
    }
    clients = [
        Client.objects.create(
            code=f"C{i:03d}",
            name=f"Clínica {i}",
            province="Madrid" if i % 3 == 0 else "Sevilla",
            rep=reps[i % 2],
        )
        for i in range(n_clients)
    ]
    start = today - dt.timedelta(weeks=weeks)
    orders, lines = [], []

    def buy(client, product, day, units):
        orders.append(Order(invoice_number=f"T{len(orders):07d}", date=day, client=client))
        lines.append((day, client, product, units))

    for i, c in enumerate(clients):
        surgeon = i % 2 == 0 or c.code in EARLY  # buys the surgery line
        for w in range(0, weeks, 2):
            day = start + dt.timedelta(weeks=w)
            buy(c, old["ANES"], day, 5)
            if surgeon and w % 6 == 0:
                buy(c, old["IMPL"], day, 2)
                buy(c, old["BIOM"], day, 1)
    launched = []
    for k in range(4):
        day = start + dt.timedelta(weeks=20 + 12 * k)
        fam = fams["IMPL"] if k % 2 == 0 else fams["BIOM"]
        p = Product.objects.create(
            code=f"{fam.code}-N{k}",
            name=f"New {fam.name.lower()} {k}",
            family=fam,
            launch_date=day if k % 2 == 0 else None,  # odd launches: inferred from first sale
            list_price=Decimal("150.00"),
            attributes={"use": "surgery"},
        )
        launched.append(p)
        for i, c in enumerate(clients):
            if c.code in EARLY:
                buy(c, p, day + dt.timedelta(days=int(rng.integers(0, 10))), 2)
            elif i % 2 == 0 and rng.random() < 0.1:
                buy(c, p, day + dt.timedelta(days=int(rng.integers(14, 70))), 1)
    orders = Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            line_number=1,
            product=p,
            units=Decimal(units),
            net_value=Decimal(units) * p.list_price,
            date=day,
            client=c,
            family=p.family,
        )
        for o, (day, c, p, units) in zip(orders, lines, strict=True)
    )
    return {"reps": reps, "families": fams, "old": old, "launched": launched, "clients": clients}


def new_products(fams, day, attributes=True):
    """Two new surgery products launched on ``day`` (with or without free attributes)."""
    return [
        Product.objects.create(
            code=f"{code}-NEW",
            name=name,
            family=fams[code],
            launch_date=day,
            list_price=Decimal(price),
            attributes={"use": "surgery"} if attributes else {},
        )
        for code, name, price in (
            ("IMPL", "Short implant 2026", "200.00"),
            ("BIOM", "Xenograft 2026", "95.00"),
        )
    ]
