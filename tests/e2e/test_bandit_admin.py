"""After the demo's simulated history: the admin sees what the bandit learned, asks "what if",
resets a context after confirming; a rep's queue shows learned, differing confidences."""

import datetime as dt
import re
from importlib import import_module

import numpy as np
import pytest
from django.apps import apps
from django.utils import timezone

from crm.models import Alert, Client, ProductFamily, User
from recommender import services as rec_services
from recommender.models import Posterior
from seeds import services

from .world import technical_evidence, weekly_evidence

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-password-1"


def seed_learned_demo():
    import_module("recommender.migrations.0003_default_actions").create_actions(apps, None)
    import_module("recommender.migrations.0006_default_priors").create_priors(apps, None)
    end = timezone.localdate() - dt.timedelta(days=1)
    services.seed_demo(
        clients=100, weeks=100, seed=3, end=end, password=PASSWORD, reset=True, history_weeks=40
    )
    User.objects.update(language="en")
    # Today's alerts in rep1's queue, in contexts the history taught.
    rep = User.objects.get(username="rep1")
    clients = list(Client.objects.filter(rep=rep).order_by("code")[:4])
    commodity = ProductFamily.objects.filter(kind="commodity").order_by("code").first()
    technical = ProductFamily.objects.filter(kind="technical").order_by("code").first()
    today = timezone.localdate()
    specs = [
        ("partial_churn", commodity, weekly_evidence(today) | {"magnitude": 0.8}),
        ("partial_churn", commodity, weekly_evidence(today) | {"magnitude": 0.2}),
        ("full_churn", commodity, weekly_evidence(today) | {"kind": "full_churn"}),
        ("technical_deterioration", technical, technical_evidence()),
    ]
    alerts = []
    for client, (kind, family, evidence) in zip(clients, specs, strict=True):
        evidence |= {"family_kind": family.kind, "family_name": family.name}
        alerts.append(
            Alert.objects.create(
                client=client,
                family=family,
                kind=kind,
                dedup_key=Alert.make_dedup_key(client.pk, family.pk, kind),
                priority=1500,
                evidence=evidence,
                as_of=today,
            )
        )
    rec_services.recommend_for_alerts([a.pk for a in alerts], rng=np.random.default_rng(5))
    return alerts


def log_in(page, username):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


def test_admin_sees_what_the_bandit_learned(page, shoot):
    alerts = seed_learned_demo()
    log_in(page, "rep1")
    confidences = page.locator("table.queue .confidence").all_inner_texts()
    assert len(confidences) == len(alerts)
    assert len(set(confidences)) > 1 and "50 %" not in confidences

    page.context.clear_cookies()
    log_in(page, "manager")
    page.goto(page.base_url + "/team/")
    body = page.locator("#manager-body").inner_text()
    assert "from the recommender's recorded outcomes" in body and "No outcomes recorded" not in body
    shoot(page, "team-track-record", docs="team-track-record.png")

    page.context.clear_cookies()
    log_in(page, "admin")
    page.goto(page.base_url + "/admin/recommender/posterior/")
    page.click("text=What the bandit has learned")
    page.wait_for_selector("section.bandit-context svg.bandit-chart")
    sections = page.locator("section.bandit-context")
    assert sections.count() >= 10
    first = sections.first.inner_text()
    assert "decisions" in first and "rewards folded" in first and "Beta(" in first

    page.select_option("#id_kind_filter", "technical_deterioration")
    page.wait_for_url(re.compile(r"kind=technical_deterioration"))
    assert all(
        c.startswith("technical_deterioration|")
        for c in page.locator("section.bandit-context").evaluate_all(
            "els => els.map(e => e.dataset.context)"
        )
    )
    page.select_option("#id_kind", "technical_deterioration")
    page.select_option("#id_family_kind", "technical")
    page.select_option("#id_maturity", "established")
    page.select_option("#id_magnitude", "mid")
    page.click("#what-if button[type=submit]")
    result = page.locator("#what-if-result")
    result.wait_for()
    rows = result.locator("tbody tr").all_inner_texts()
    # Sample, demo, visit, call, monitor (the eligible actions), likeliest first.
    assert len(rows) == 5
    probabilities = [float(r.split("\t")[1]) for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)
    total = sum(float(r.split("\t")[1]) for r in rows)
    assert total == pytest.approx(1.0, abs=0.002)
    shoot(page, "bandit-admin", docs="bandit-admin.png")

    context = page.locator("section.bandit-context").first.get_attribute("data-context")
    page.locator("section.bandit-context").first.locator("a.reset-link").click()
    page.wait_for_selector("text=Forget everything the bandit learned")
    page.click("a.cancel-link")
    page.wait_for_url(re.compile(r"/learning/"))
    assert Posterior.objects.filter(context=context, n_events__gt=0).exists()
    page.locator(f'section.bandit-context[data-context="{context}"] a.reset-link').click()
    page.click("input[type=submit][value='Yes, reset to prior']")
    page.wait_for_selector(".messagelist >> text=reset to their prior")
    assert not Posterior.objects.filter(context=context, n_events__gt=0).exists()
