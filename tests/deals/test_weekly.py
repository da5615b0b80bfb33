"""The weekly executive summary e-mail to each manager, in their language."""

import datetime as dt

from django.core import mail

from crm.models import Alert
from crm.services import answer_alert
from deals import alert_kinds, services
from deals.tasks import send_weekly_summaries
from seeds.deals import seed_pipeline


def test_each_manager_gets_the_summary_of_their_team_in_their_language(team, settings):
    settings.DEALS_QUARTER_TARGET = 500000
    today = dt.date.today()
    seed_pipeline(n_deals=900, seed=4, end=today)
    services.score_pipeline(today)
    boss, other = team["boss"], team["other"]
    boss.email, boss.language = "boss@example.com", "en"
    other.email, other.language = "other@example.com", "es"
    boss.save()
    other.save()
    alert = Alert.objects.filter(
        kind__in=alert_kinds.CODES, client__rep=team["ana"], status="open"
    ).first()
    answer_alert(alert, team["ana"], "false_alarm", reason="already handled")

    result = send_weekly_summaries.delay(today.isoformat()).get()
    assert result == {"sent": 2} and len(mail.outbox) == 2
    english = next(m for m in mail.outbox if m.to == ["boss@example.com"])
    spanish = next(m for m in mail.outbox if m.to == ["other@example.com"])
    assert english.subject.startswith("Pipeline summary for the week to")
    body = english.body
    assert "Win rate by month" in body and "Riskiest open deals" in body
    assert "target 500,000 €" in body
    assert "0 acted on, 1 false alarms" in body
    # The manager's team only: Carla's deals are the other manager's.
    carla_deals = [
        a.evidence["external_id"] for a in Alert.objects.filter(client__rep=team["carla"])
    ]
    assert not any(f"({c})" in body for c in carla_deals)
    html = english.alternatives[0][0]
    assert "<ol>" in html and "Riskiest open deals" in html
    assert (
        "Tasa de éxito por mes" in spanish.body
        and "Oportunidades abiertas con más riesgo" in spanish.body
    )


def test_managers_without_an_address_get_nothing(team):
    assert send_weekly_summaries.delay().get() == {"sent": 0}
    assert mail.outbox == []
