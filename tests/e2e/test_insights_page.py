"""A manager reads the Insights page and a client's segment, churn risk and value forecast in a
browser."""

import datetime as dt
import re

import pytest

from insights import services
from tests.insights.world import AS_OF, build_world, publish_twins, weekly_value

from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, username):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


def test_manager_reads_segments_tiers_and_a_client_at_risk(page, shoot, browser):
    world = build_world(PASSWORD)
    # The twins expect 13 weeks of the usual spend from each client, next to nothing from the
    # three that stopped, and three times the usual from C010 (room to grow).
    grower = world["clients"][10]
    publish_twins(world, AS_OF, clients=[c for c in world["clients"][3:] if c != grower])
    publish_twins(world, AS_OF, price=3 * weekly_value(grower), clients=[grower], replace=False)
    publish_twins(world, AS_OF, units=0.2, clients=world["clients"][:3], replace=False)
    for weeks in (12, 8, 4, 0):
        services.refit(AS_OF - dt.timedelta(weeks=weeks))
    login(page, "boss")
    page.click("nav.mainnav a:has-text('Insights')")
    page.wait_for_selector("#segments table")
    assert page.locator("#segments tbody tr").count() >= 2
    assert page.locator("#segments-over-time svg rect").count() >= 4
    # The chart's numbers, one row per refit date.
    page.click("#segments-over-time summary")
    assert page.locator("#segments-over-time details tbody tr").count() == 4
    page.click("#tiers-by-rep summary")
    ana_row = page.locator("#tiers-by-rep details tbody tr", has_text="Ana Ruiz")
    assert ana_row.locator("td").nth(1).inner_text() == "3"
    assert page.locator("#high-risk tbody tr").count() == 3
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top of the shot
    shoot(page, "insights", docs="insights.png")

    page.locator("#high-risk tbody a").first.click()
    page.wait_for_selector("#client-insights")
    section = page.locator("#client-insights")
    assert "High" in section.inner_text()
    assert "Manager call + offer" in section.inner_text()
    assert "Moved from" in section.inner_text()
    forecast = section.locator(".value-forecast")
    assert "80 % interval" in forecast.inner_text()
    assert "Twins' per-family forecasts summed" in forecast.inner_text()
    assert section.locator(".room-to-grow").count() == 0
    shoot(page, "insights-client-en")
    client_url = page.url

    page.goto(page.base_url + f"/clients/{grower.pk}/")
    room = page.locator("#client-insights .room-to-grow")
    assert "€" in room.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "insights-client-room-en", docs="insights-client-room.png")

    url = client_url
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="es-ES")
    es = context.new_page()
    es.base_url = page.base_url
    login(es, "boss")
    es.goto(url)
    section = es.locator("#client-insights")
    assert "Segmento, riesgo de pérdida y previsión de valor" in section.inner_text()
    assert "intervalo del 80 %" in section.locator(".value-forecast").inner_text()
    assert "Alto" in section.inner_text()
    es.evaluate("window.scrollTo(0, 0)")
    shoot(es, "insights-client-es", docs="insights-client.png")
    es.goto(page.base_url + "/insights/")
    assert "Segmentos" in es.locator("#segments h2").inner_text()
    shoot(es, "insights-es")
    context.close()
