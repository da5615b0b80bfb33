"""A manager finds the pipeline-level alerts (no client) in the queue and reads one."""

import re
from importlib import import_module

import pytest

from crm.models import Alert
from deals import alert_kinds

from .test_deals_page import make_team
from .world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def default_actions():
    """The recommender's actions and priors (a transactional test's flush removes them)."""
    from django.apps import apps

    import_module("recommender.migrations.0003_default_actions").create_actions(apps, None)
    import_module("recommender.migrations.0006_default_priors").create_priors(apps, None)
    import_module("recommender.migrations.0007_deal_actions").forwards(apps, None)


def login(page, username):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_manager_reads_a_pipeline_alert(page, shoot, language):
    default_actions()
    boss = make_team()
    drop = Alert.objects.get(kind=alert_kinds.WIN_RATE_DROP)
    assert drop.client is None and drop.recipient_id == boss.pk
    login(page, "marta")
    page.click(f"form.langswitch button[value={language}]")
    page.wait_for_selector(f"html[lang={language}]")
    page.goto(page.base_url + f"/?kind={alert_kinds.WIN_RATE_DROP}")
    row = page.locator(f"#alert-row-{drop.pk}")
    pipeline = "Pipeline" if language == "en" else "Embudo"
    assert pipeline in row.locator("td.client").inner_text()
    assert "Retail" in row.inner_text()
    assert "Marta Gil" in row.inner_text()
    rec = row.locator("td.rec").inner_text()
    assert rec.strip() not in ("", "—"), "the bandit recommends a pipeline action"
    shoot(page, f"pipeline-alert-queue-{language}")
    row.locator("a.btn.ghost").first.click()
    page.wait_for_url(re.compile(rf"/alerts/{drop.pk}/"))
    lead = page.locator(".narrative .lead").inner_text()
    if language == "en":
        assert "segment Retail" in lead and "unlikely to be chance alone" in lead
    else:
        assert "segmento Retail" in lead and "no dicen por qué" in lead
    assert page.locator("h1").first.inner_text().strip() == "Retail"
    shoot(page, f"pipeline-alert-{language}", docs=f"pipeline-alert-{language}.png")

    login(page, "ana")
    page.goto(page.base_url + f"/alerts/{drop.pk}/")
    assert page.locator(".narrative").count() == 0, "a rep does not see the manager's alert"
