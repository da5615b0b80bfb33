"""A small CRM for the API tests: a manager with two reps, a rep of another team, an admin."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.models import Alert, Client, Potential, Product, ProductFamily, Territory, User


def build_world():
    """Users, catalogue, clients and alerts; returns them as attributes."""
    w = SimpleNamespace()
    w.territory = Territory.objects.create(code="T1", name="Centro")
    make = User.objects.create_user  # no password: tokens and force_login, no slow hashing
    w.manager = make("mgr", role="manager", territory=w.territory)
    w.ana = make("ana", role="rep", manager=w.manager)
    w.bob = make("bob", role="rep", manager=w.manager)
    w.other_manager = make("mgr2", role="manager")
    w.carl = make("carl", role="rep", manager=w.other_manager)
    w.admin = make("boss", role="admin")

    w.ane = ProductFamily.objects.create(code="ANE", name="Anaesthesia", kind="commodity")
    w.imp = ProductFamily.objects.create(code="IMP", name="Implants", kind="technical")
    w.cartridge = Product.objects.create(code="P-ANE-1", name="Cartridge", family=w.ane)
    w.implant = Product.objects.create(code="P-IMP-1", name="Implant", family=w.imp)

    def client(code, rep, province):
        return Client.objects.create(code=code, name=f"Clinic {code}", province=province, rep=rep)

    w.ana1 = client("C-ANA-1", w.ana, "Madrid")
    w.ana2 = client("C-ANA-2", w.ana, "Sevilla")
    w.bob1 = client("C-BOB-1", w.bob, "Madrid")
    w.carl1 = client("C-CARL-1", w.carl, "Madrid")
    Potential.objects.create(client=w.ana1, family=w.imp, annual_potential=Decimal("12000"))
    Potential.objects.create(client=w.carl1, family=w.imp, annual_potential=Decimal("9000"))

    as_of = dt.date(2026, 11, 16)

    def alert(client, family, kind, priority, status="open"):
        return Alert.objects.create(
            client=client,
            family=family,
            kind=kind,
            status=status,
            dedup_key=Alert.make_dedup_key(client.pk, family.pk, kind),
            priority=Decimal(priority),
            score=0.9,
            p_value=0.01,
            as_of=as_of,
            evidence={"expected_units": 40.0, "observed_units": 6.0, "euros_at_stake": priority},
        )

    w.a_ana1 = alert(w.ana1, w.ane, "partial_churn", "2400")
    w.a_ana2 = alert(w.ana2, w.imp, "technical_deterioration", "900")
    w.a_ana_done = alert(w.ana2, w.ane, "full_churn", "5000", status="dismissed")
    w.a_bob1 = alert(w.bob1, w.ane, "full_churn", "3100")
    w.a_carl1 = alert(w.carl1, w.imp, "uncaptured_potential", "7000")
    return w


@pytest.fixture
def world(db):
    return build_world()


def token_for(user):
    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def api_as():
    """``api_as(user)``: an APIClient sending ``user``'s token; ``api_as(None)`` sends none."""

    def make(user):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make
