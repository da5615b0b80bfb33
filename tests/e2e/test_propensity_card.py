"""A rep opens a client and reads its propensity per family not yet bought, with the reasons,
in Spanish and in English."""

import re

import pytest

from bench.propensity_world import generate, load
from crm.models import Client
from recommender.propensity import services
from recommender.propensity.models import PropensityScore

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_reads_the_propensities_of_a_client(page, shoot):
    world = generate(n_clients=160, n_reps=4, seed=5, end="2026-06-28")
    _c, _f, reps = load(world)
    services.refit_and_score("2026-06-28", candidates=("hgb",))
    rep = reps[0]
    best = (
        PropensityScore.objects.filter(client__rep=rep)
        .exclude(reasons=[])
        .order_by("-probability")
        .first()
    )
    client = Client.objects.get(pk=best.client_id)
    n_scores = PropensityScore.objects.filter(client=client).count()

    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", rep.username)
    page.fill("#id_password", "pw-" + rep.username)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(page.base_url + f"/clients/{client.pk}/")
    for lang, heading in (("es", "Familias que aún no compra"), ("en", "Families not yet bought")):
        page.click(f".langswitch button[value={lang}]")
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")
        card = page.locator("#propensity")
        card.wait_for()
        assert heading in card.locator("h2").inner_text()
        assert card.locator("tbody tr").count() == n_scores
        first = card.locator("tbody tr").first
        assert best.family.name in first.inner_text()
        assert "%" in first.locator("td.num").first.inner_text()
        assert "€" in card.inner_text()
        reasons = first.locator("td").last.inner_text()
        assert reasons and "No strong reason" not in reasons
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, f"propensity-client-{lang}", docs=f"propensity-client-{lang}.png")
