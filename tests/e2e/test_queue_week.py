"""A rep's 'this week' in a real browser: the top alerts up to the weekly capacity, the whole
queue one click away and back, in English and Spanish."""

import re

import pytest

from .test_pages import log_in
from .world import PASSWORD, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_sees_this_week_and_the_rest_one_click_away(page, browser, shoot):
    page.set_default_timeout(60_000)  # a shared, busy machine: patience, not a timing check
    w = make_world(extra_alerts=14)  # 17 alerts in Ana's queue
    w.ana.weekly_capacity = 10
    w.ana.save()
    log_in(page, "ana")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 10
    summary = page.locator("#queue-summary").inner_text()
    assert "This week" in summary and "your top 10 of 17 alerts" in summary
    cells = page.locator("table.queue td.num.money").all_inner_texts()
    amounts = [float(re.sub(r"[^\d.]", "", t)) for t in cells]
    assert len(amounts) == 10 and amounts == sorted(amounts, reverse=True)  # largest first
    shoot(page, "queue-this-week", docs="queue-this-week.png")

    page.click("#queue-show-all")
    page.wait_for_url(re.compile(r"scope=all"))
    assert rows.count() == 17
    # Filtering the whole queue keeps it whole.
    page.click("label.chip.kind-technical_deterioration")
    page.wait_for_url(re.compile(r"kind=technical_deterioration"))
    assert "scope=all" in page.url
    page.click("label.chip >> text=All")
    page.wait_for_function("document.querySelectorAll('table.queue tbody tr').length === 17")
    page.click("#queue-this-week")
    page.wait_for_url(re.compile(r"/$|/\?(?!.*scope)"))
    assert rows.count() == 10

    # The same page in Spanish.
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="es-ES")
    context.set_default_timeout(60_000)
    es = context.new_page()
    es.goto(page.base_url + "/accounts/login/")
    es.fill("#id_username", "ana")
    es.fill("#id_password", PASSWORD)
    es.click("button[type=submit].primary")
    es.wait_for_url(re.compile(r"/$"))
    text = es.locator("#queue-summary").inner_text()
    assert "Esta semana" in text and "tus 10 primeras de 17 alertas" in text
    assert "Ver las 17" in text
    shoot(es, "queue-this-week-es", docs="queue-this-week-es.png")
    context.close()
