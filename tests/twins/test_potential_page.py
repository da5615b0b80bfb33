"""The client page says when the latest scoring run judged a stated potential not reliable,
and why, in English and Spanish; a reliable potential shows no such note."""

import datetime as dt

import pytest
from django.test import Client as Browser

from crm.models import Client, Potential, ProductFamily
from twins.models import TwinState
from twins.stats import potential as rules

pytestmark = pytest.mark.django_db


def twin(client, family, **params):
    Potential.objects.create(client=client, family=family, annual_potential=10000)
    return TwinState.objects.create(
        client=client, family=family, kind="commodity", as_of=dt.date(2026, 3, 29), params=params
    )


def test_client_page_explains_unreliable_potentials(make_user):
    rep = make_user("lucia")
    client = Client.objects.create(code="C1", name="Clínica Uno", rep=rep)
    gloves, needles, implants = (
        ProductFamily.objects.create(code=code, name=name)
        for code, name in (("G", "Gloves"), ("N", "Needles"), ("I", "Implants"))
    )
    twin(client, gloves, potential_reliability=rules.UNREACHED, potential_family_reach=0.118)
    twin(client, needles, potential_reliability=rules.ABOVE_PURCHASES)
    twin(client, implants, potential_reliability=rules.RELIABLE, potential_family_reach=0.7)
    page = Browser()
    page.force_login(rep)

    html = page.get(f"/clients/{client.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("Potential not reliable") == 2
    rows = {row.split("</strong>")[0].rsplit(">", 1)[-1]: row for row in html.split("<tr>")[1:]}
    assert "buy under 12\xa0% of their stated potential" in rows["Gloves"]
    assert "already buys more than this potential" in rows["Needles"]
    assert "not reliable" not in rows["Implants"]

    spanish = page.get(f"/clients/{client.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert spanish.count("Potencial no fiable") == 2
    assert "compran menos del 12\xa0% de su potencial declarado" in spanish
    assert "ya compra más que este potencial" in spanish
