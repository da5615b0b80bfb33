"""Builders for the recommender tests: alerts with evidence, answers and orders."""

import itertools
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module

import pytest

_seq = itertools.count(1)


@pytest.fixture
def make_alert():
    from crm.models import Alert, Client, ProductFamily

    def make(kind="partial_churn", family_kind="commodity", **evidence):
        n = next(_seq)
        client = Client.objects.create(code=f"C{n:05d}", name=f"Client {n}")
        family, _ = ProductFamily.objects.get_or_create(
            code=f"F-{family_kind}", defaults={"name": family_kind.title(), "kind": family_kind}
        )
        ev = {
            "expected_units_per_week": 10.0,
            "recovery_threshold_units_per_week": 5.0,
            "maturity_weeks": 100,
            "magnitude": 0.8,
            "family_kind": family_kind,
        } | evidence
        return Alert.objects.create(
            client=client,
            family=family,
            kind=kind,
            dedup_key=Alert.make_dedup_key(client.pk, family.pk, kind),
            evidence=ev,
            as_of=date.today(),
        )

    return make


@pytest.fixture
def buy():
    """Record an order of ``units`` of the alert's family by the alert's client on ``day``."""
    from crm.models import Order, OrderLine, Product

    def buy(alert, day, units):
        product, _ = Product.objects.get_or_create(
            code=f"P-{alert.family.code}", defaults={"family": alert.family}
        )
        order = Order.objects.create(
            invoice_number=f"INV{next(_seq):06d}", date=day, client=alert.client
        )
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product=product,
            units=Decimal(units),
            net_value=Decimal(units) * 3,
            date=day,
            client=alert.client,
            family=alert.family,
        )

    return buy


@pytest.fixture
def action(db):
    """The default actions (as the data migration creates them, even after a flush) by code."""
    from django.apps import apps

    from recommender.models import Action

    migration = import_module("recommender.migrations.0003_default_actions")
    migration.create_actions(apps, None)
    import_module("recommender.migrations.0007_deal_actions").forwards(apps, None)
    return lambda code: Action.objects.get(code=code)


def weeks_ago(n):
    return date.today() - timedelta(weeks=n)


@pytest.fixture(autouse=True)
def _without_default_priors(request):
    """These tests start from the uniform default prior unless they ask for ``default_priors``:
    the data migration's sales priors would otherwise set every context's prior."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db and "default_priors" not in request.fixturenames:
        from recommender.models import ArmPrior

        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
        ArmPrior.objects.all().delete()


@pytest.fixture
def default_priors(action):
    """The data migration's sales priors (re-created, as a flush removes them)."""
    from django.apps import apps

    import_module("recommender.migrations.0006_default_priors").create_priors(apps, None)
    import_module("recommender.migrations.0007_deal_actions").forwards(apps, None)
