"""A rep opens a client whose stated potentials the data contradict: the client page marks them
"potential not reliable" with the reason, in English and Spanish, and no uncaptured-potential
alert is raised on them.

The demo plants potentials below what a pair buys (``unreliable_potential``); a source that
overstates one whole family is simulated by multiplying that family's potentials by ten before
scoring: no buyer of the family then reaches a quarter of its potential.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from crm.models import Alert, Potential, ProductFamily, User
from seeds import services
from twins.models import TwinState
from twins.stats import potential as rules

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-potential-1"


def test_client_page_marks_unreliable_potentials(page, shoot):
    # The history ends last Sunday (the default), so the page's "last 12 months" (up to
    # today) and the scoring run's year are the same year.
    services.seed_demo(clients=80, weeks=104, seed=3, password=PASSWORD)
    inflated = ProductFamily.objects.get(name__startswith="Gloves")
    Potential.objects.filter(family=inflated).update(annual_potential=F("annual_potential") * 10)
    call_command("score", "--inline", "--no-progress", stdout=StringIO())

    def verdicts(code):
        return {
            (t.client_id, t.family_id)
            for t in TwinState.objects.all()
            if t.params.get("potential_reliability") == code
        }

    above, unreached = verdicts(rules.ABOVE_PURCHASES), verdicts(rules.UNREACHED)
    assert above and unreached
    assert {f for _c, f in unreached} == {inflated.pk}
    alerted = set(
        Alert.objects.filter(kind="uncaptured_potential").values_list("client_id", "family_id")
    )
    assert not alerted & (above | unreached)
    # A client with both verdicts if there is one, else one with a potential below purchases.
    clients_above = {c for c, _f in above}
    both = sorted(clients_above & {c for c, _f in unreached})
    client_id = both[0] if both else sorted(clients_above)[0]

    admin = User.objects.filter(role=User.Role.ADMIN).first()
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(page.base_url + "/")
    page.goto(page.base_url + f"/clients/{client_id}/")
    expected_rows = {f for c, f in above | unreached if c == client_id}
    names = set(ProductFamily.objects.filter(pk__in=expected_rows).values_list("name", flat=True))
    texts = {
        "en": (
            "Potential not reliable",
            "already buys more than this potential",
            "Nine in ten comparable clients",
        ),
        "es": (
            "Potencial no fiable",
            "ya compra más que este potencial",
            "Nueve de cada diez clientes comparables",
        ),
    }
    for lang in ("en", "es"):
        page.click(f".langswitch button[value={lang}]")
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")
        page.wait_for_selector("#families-h")
        badge, above_reason, unreached_reason = texts[lang]
        rows = page.locator("#client-body tr", has=page.locator(".unreliable-potential"))
        assert rows.count() == len(expected_rows)
        shown = rows.all_inner_texts()
        assert all(badge in text for text in shown)
        assert {n for n in names if any(n in text for text in shown)} == names
        assert any(above_reason in text for text in shown)
        if both:
            assert any(unreached_reason in text for text in shown)
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, f"client-potential-{lang}", docs=f"client-potential-{lang}.png")
