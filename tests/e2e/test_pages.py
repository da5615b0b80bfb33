"""A rep's day in a real browser: log in, filter, answer inline, read an alert and a client."""

import re

import pytest

from crm.models import Alert, Feedback, VisitNote

from .world import PASSWORD, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


def test_rep_filters_and_answers_the_queue_inline(page, shoot):
    w = make_world(extra_alerts=14)
    log_in(page, "ana")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 17
    assert "Carla" not in page.content() and "Odontología Levante" not in page.content()
    shoot(page, "queue")

    page.click("label.chip.kind-technical_deterioration")
    page.wait_for_url(re.compile(r"kind=technical_deterioration"))
    page.wait_for_function("document.querySelectorAll('table.queue tbody tr').length === 1")
    assert "Centro Odontológico Norte" in rows.first.inner_text()

    page.click("label.chip >> text=All")
    page.fill("#id_q", "Sonrisa")
    page.wait_for_url(re.compile(r"q=Sonrisa"))
    page.wait_for_function("document.querySelectorAll('table.queue tbody tr').length === 1")
    row = page.locator(f"#alert-row-{w.alerts['churn'].pk}")
    all_chip = page.locator("label.chip").first
    assert all_chip.locator("b").inner_text() == "1"

    row.locator("summary").click()
    shoot(page, "queue-answer")
    row.locator("select[name=action]").select_option(label="Visit")
    url_before = page.url
    row.locator("form.act button").click()
    page.wait_for_selector(f"#alert-row-{w.alerts['churn'].pk}.answered")
    assert page.url == url_before  # no page reload, the filters stay
    assert "I will act: Visit" in page.locator(f"#alert-row-{w.alerts['churn'].pk}").inner_text()
    assert all_chip.locator("b").inner_text() == "0"
    feedback = Feedback.objects.get(alert=w.alerts["churn"])
    assert (feedback.verdict, feedback.user, feedback.action) == ("act", w.ana, w.actions["visit"])
    w.alerts["churn"].refresh_from_db()
    assert w.alerts["churn"].status == Alert.Status.ACTING


def test_rep_reads_the_alert_and_the_client(page, shoot):
    w = make_world(extra_alerts=4)
    log_in(page, "ana")
    page.click(f"#alert-row-{w.alerts['churn'].pk} a:has-text('Details')")
    page.wait_for_selector("svg.chart")
    assert page.locator("svg.chart title").first.text_content().startswith("Units per week")
    assert page.locator("svg.chart rect.bar.out").count() == 6
    assert page.locator("svg.chart rect.campaign").count() == 2
    shoot(page, "detail")

    page.goto(page.base_url + f"/alerts/{w.alerts['technical'].pk}/")
    assert page.locator("svg.chart line.threshold.p90").count() == 1
    shoot(page, "detail-technical")

    page.locator("a", has_text="Centro Odontológico Norte").first.click()
    page.wait_for_selector("#families-h")
    assert "Implants" in page.locator("table").first.inner_text()
    page.fill("#id_text", "Called: they are testing a competitor's implant system.")
    page.click("#notes button[type=submit]")
    page.wait_for_selector("#notes li >> text=competitor")
    assert VisitNote.objects.filter(client=w.clients["C002"], author=w.ana).count() == 1
    shoot(page, "client")


def test_rep_cannot_open_another_reps_alert(page):
    w = make_world()
    log_in(page, "ana")
    response = page.goto(page.base_url + f"/alerts/{w.alerts['carla_churn'].pk}/")
    assert response.status == 404


def test_manager_sees_the_team(page, shoot):
    make_world(extra_alerts=6)
    log_in(page, "marta")
    page.goto(page.base_url + "/team/")
    text = page.locator("#manager-body").inner_text()
    assert "Ana García" in text and "Ben Soler" in text and "Carla" not in text
    shoot(page, "manager")


def test_switching_to_spanish(page, shoot):
    make_world(extra_alerts=8)
    log_in(page, "ana")
    page.click(".langswitch button[value=es]")
    page.wait_for_selector("h1:has-text('Mi cola')")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "1\xa0840\xa0€" in page.locator("table.queue").inner_text()
    shoot(page, "queue-es")


def test_answer_works_without_javascript(browser, live_server):
    w = make_world()
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        log_in(page, "ana")
        row = page.locator(f"#alert-row-{w.alerts['technical'].pk}")
        row.locator("summary").click()
        row.locator("a", has_text="Answer on the alert page").click()
        form = page.locator(".answer-card form.false-alarm")
        form.locator("input[name=reason]").fill("Data error")
        form.locator("button").click()
        page.wait_for_selector(".flash")
        assert "Answer recorded" in page.locator(".flash").inner_text()
        assert "Dismissed" in page.locator(".hero .badges").inner_text()
        assert Feedback.objects.get(alert=w.alerts["technical"]).reason == "Data error"
    finally:
        context.close()
