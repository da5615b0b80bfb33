"""A manager reads the pipeline page in a real browser and switches the win-rate breakdown."""

import datetime as dt
import re

import pytest

from crm.models import Client, User
from deals import services
from seeds.deals import seed_pipeline

from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def make_team():
    boss = User.objects.create_user(
        "marta", password=PASSWORD, role=User.Role.MANAGER, first_name="Marta", last_name="Gil"
    )
    for i, (first, last) in enumerate((("Ana", "Ruiz"), ("Ben", "Soto"), ("Carla", "Vidal"))):
        rep = User.objects.create_user(
            first.lower(),
            password=PASSWORD,
            role=User.Role.REP,
            manager=boss,
            first_name=first,
            last_name=last,
        )
        for j in range(20):
            Client.objects.create(code=f"C{i}{j:02d}", name=f"Clínica {last} {j}", rep=rep)
    today = dt.date.today()
    seed_pipeline(n_deals=1200, seed=7, end=today)
    services.score_pipeline(today)
    return boss


def test_manager_reads_the_pipeline_and_switches_the_breakdown(page, shoot):
    make_team()
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", "marta")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))
    page.click("nav.mainnav a:has-text('Pipeline')")
    page.wait_for_selector("#risky table")
    assert page.locator("#risky tbody tr").count() == 10
    assert page.locator("#win-rates svg.ci").count() >= 4
    first_drivers = page.locator("#risky td.drivers").first.inner_text()
    assert first_drivers and first_drivers != "—"
    assert "€" in page.locator("#forecast-expected").inner_text()
    assert page.locator("#forecast svg rect.naive").count() == 1
    assert page.locator("svg.monthly rect.won").count() == 12
    shoot(page, "deals", docs="deals.png")

    url_before = page.url
    page.select_option("#id_by", "owner")
    page.wait_for_url(re.compile(r"by=owner"))
    page.wait_for_function(
        "[...document.querySelectorAll('#win-rates tbody td:first-child')]"
        ".some(td => td.textContent.includes('Ana Ruiz'))"
    )
    names = page.locator("#win-rates tbody td:first-child").all_inner_texts()
    assert set(names) == {"Ana Ruiz", "Ben Soto", "Carla Vidal"}
    assert page.locator("#risky tbody tr").count() == 10  # the rest of the page stayed
    assert url_before != page.url
