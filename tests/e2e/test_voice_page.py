"""A manager reads the voice-of-the-client page in a real browser, in Spanish and English,
opens a detractor's client and finds the survey history with its NPS trend."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from crm.models import Client, Order, OrderLine, Product, ProductFamily, Territory, User
from seeds.voice import seed_voice
from voice.services import run

from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def make_world():
    today = dt.date.today()
    boss = User.objects.create_user(
        "marta", password=PASSWORD, role=User.Role.MANAGER, first_name="Marta", last_name="Gil"
    )
    family = ProductFamily.objects.create(code="ANE", name="Anestesia")
    product = Product.objects.create(code="P1", name="Carpule", family=family)
    n = 0
    for i, (first, last, zone) in enumerate(
        (("Ana", "Ruiz", "Norte"), ("Ben", "Soto", "Sur"), ("Carla", "Vidal", "Este"))
    ):
        territory = Territory.objects.create(code=zone[:1], name=zone)
        rep = User.objects.create_user(
            first.lower(), password=PASSWORD, role=User.Role.REP, manager=boss,
            first_name=first, last_name=last, territory=territory,
        )  # fmt: skip
        for j in range(12):
            client = Client.objects.create(
                code=f"C{i}{j:02d}", name=f"Clínica {last} {j}", rep=rep, territory=territory
            )
            for k in range(13):
                n += 1
                day = today - dt.timedelta(days=28 * k + 2)
                order = Order.objects.create(invoice_number=f"F{n:06d}", date=day, client=client)
                OrderLine.objects.create(
                    order=order, line_number=1, product=product, units=Decimal(1),
                    net_value=Decimal(200 + 150 * j), date=day, client=client, family=family,
                )  # fmt: skip
    seed_voice(seed=7, end=today, n_detractors=4)
    run(today)
    return boss


def log_in(browser, url, locale):
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, locale=locale, device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", "marta")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


def test_manager_reads_the_voice_page_in_both_languages(browser, live_server, shoot):
    make_world()
    context, page = log_in(browser, live_server.url, "es-ES")
    page.click("nav.mainnav a:has-text('Voz del cliente')")
    page.wait_for_selector("#nps-months svg.nps-months")
    assert page.locator("h1").inner_text() == "Voz del cliente"
    assert page.locator("#nps-months rect.nps-bar").count() == 12
    assert int(page.locator("#voice-uncontacted").inner_text()) >= 4  # the planted detractors
    assert page.locator("#uncontacted tbody tr").count() >= 4
    assert page.locator("#themes tbody tr").count() >= 1
    assert "Temas de queja por mes y territorio" in page.content()
    shoot(page, "voice-es", docs="voice-es.png")

    page.locator("#uncontacted tbody tr a").first.click()
    page.wait_for_selector("#voice svg.nps-chart")
    page.goto(page.url.split("#")[0])  # from the top: a full-page shot of a scrolled page
    assert page.locator("#voice .nps-dot").count() >= 1
    assert page.locator("#voice table tbody tr").count() >= 1
    shoot(page, "voice-client-es", docs="voice-client-es.png")
    context.close()

    context, page = log_in(browser, live_server.url, "en-GB")
    page.goto(live_server.url + "/voice/")
    page.wait_for_selector("#nps-months svg.nps-months")
    assert page.locator("h1").inner_text() == "Voice of the client"
    assert "Detractors not yet contacted" in page.content()
    shoot(page, "voice-en", docs="voice-en.png")
    context.close()
