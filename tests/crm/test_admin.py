"""Every model the admin registers opens its list, search and add pages for an admin."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from crm.models import Alert, Client, Order, OrderLine, Potential, Product, ProductFamily


@pytest.fixture
def admin_client(client, make_user):
    user = make_user("boss", role="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def some_data(make_user):
    rep = make_user("rep1")
    family = ProductFamily.objects.create(code="ANES", name="Anaesthesia")
    product = Product.objects.create(code="A1", name="Cartridges", family=family)
    shop = Client.objects.create(code="C1", name="Clínica Uno", province="Madrid", rep=rep)
    order = Order.objects.create(invoice_number="F1", date=date(2026, 11, 2), client=shop)
    OrderLine.objects.create(
        order=order,
        line_number=1,
        product=product,
        units=Decimal(3),
        net_value=Decimal("30"),
        date=order.date,
        client=shop,
        family=family,
    )
    Potential.objects.create(client=shop, family=family, annual_potential=Decimal("5000"))
    Alert.objects.create(
        client=shop,
        family=family,
        kind="partial_churn",
        as_of=date(2026, 11, 8),
        dedup_key=Alert.make_dedup_key(shop.pk, family.pk, "partial_churn"),
    )


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_pages_open(admin_client, some_data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client.get(changelist, {"q": "C1"}).status_code == 200
    if admin.site._registry[model].has_add_permission(_request(admin_client)):
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert admin_client.get(add).status_code == 200


def test_admin_lists_the_imported_business_data(admin_client, some_data):
    for name in ("client", "order", "potential"):
        page = admin_client.get(reverse(f"admin:crm_{name}_changelist"))
        assert "C1" in page.content.decode() or "Clínica Uno" in page.content.decode()


def _request(admin_client):
    from django.test import RequestFactory

    from crm.models import User

    request = RequestFactory().get("/")
    request.user = User.objects.get(username="boss")
    return request
