import datetime as dt
from decimal import Decimal

import pytest

from crm.models import Client, Order, OrderLine, Product, ProductFamily, Territory, User

AS_OF = dt.date(2026, 11, 29)


@pytest.fixture
def team(db):
    north = Territory.objects.create(code="N", name="Norte")
    boss = User.objects.create_user(
        "marta", password="pw", role=User.Role.MANAGER, first_name="Marta", last_name="Gil"
    )
    ana = User.objects.create_user(
        "ana", password="pw", role=User.Role.REP, manager=boss, first_name="Ana", territory=north
    )
    ben = User.objects.create_user("ben", password="pw", role=User.Role.REP, manager=boss)
    admin = User.objects.create_user("root", password="pw", role=User.Role.ADMIN)
    clients = {
        "C001": Client.objects.create(code="C001", name="Clínica Uno", rep=ana, territory=north),
        "C002": Client.objects.create(code="C002", name="Clínica Dos", rep=ana, territory=north),
        "C003": Client.objects.create(code="C003", name="Clínica Tres", rep=ben),
    }
    return {"boss": boss, "ana": ana, "ben": ben, "admin": admin, "clients": clients}


@pytest.fixture
def family(db):
    fam = ProductFamily.objects.create(code="ANE", name="Anestesia")
    return Product.objects.create(code="P1", name="Carpule", family=fam)


@pytest.fixture
def buy(family):
    """``buy(client, date, euros)``: one invoice of one line."""
    counter = {"n": 0}

    def buy(client, date, euros):
        counter["n"] += 1
        order = Order.objects.create(
            invoice_number=f"F{counter['n']:05d}", date=date, client=client
        )
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product=family,
            units=Decimal(1),
            net_value=Decimal(str(euros)),
            date=date,
            client=client,
            family=family.family,
        )

    return buy


@pytest.fixture
def steady_buyer(buy):
    """``steady_buyer(client, euros_per_month, until=AS_OF, months=14)``."""

    def make(client, per_month, *, until=AS_OF, months=14):
        for k in range(months):
            buy(client, until - dt.timedelta(days=30 * k + 3), per_month)

    return make
