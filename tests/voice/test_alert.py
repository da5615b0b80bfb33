"""The Detractor alert: raised for clients with revenue at stake, refreshed, expired, and
explained with the client's own sentence in Spanish and English."""

import datetime as dt

from django.test import Client as Browser
from django.utils import timezone

from crm import kinds
from crm.models import Alert, Client, Feedback, VisitNote
from voice import services
from voice.models import SurveyResponse, VoiceRun

from .conftest import AS_OF


def survey(client, rid, nps, comment, days_ago=10):
    return SurveyResponse.objects.create(
        response_id=rid,
        client=client,
        date=AS_OF - dt.timedelta(days=days_ago),
        nps=nps,
        comment=comment,
    )


def small_buyers(steady_buyer, n=6, per_month=100):
    for i in range(n):
        steady_buyer(Client.objects.create(code=f"S{i}", name=f"Small {i}"), per_month)


def test_high_value_detractor_raises_one_alert_quoting_the_sentence(team, steady_buyer):
    big, small = team["clients"]["C001"], team["clients"]["C002"]
    steady_buyer(big, 5000)
    steady_buyer(small, 50)
    small_buyers(steady_buyer)
    survey(big, "R1", 3, "Buen comercial. Pero el pedido llegó tarde otra vez y sin stock.")
    survey(small, "R2", 2, "Muy caro todo.")  # a detractor, but little revenue at stake
    run = services.run(AS_OF)
    assert run.status == VoiceRun.Status.SUCCEEDED and run.alerts_created == 1
    alert = Alert.objects.get(kind="detractor")
    assert alert.client == big and alert.family is None
    assert alert.evidence["revenue_12m"] == 13 * 5000  # purchases every 30 days over a year
    assert float(alert.priority) == 13 * 5000 * services.DETRACTOR_AT_RISK
    kind = kinds.get("detractor")
    es, en = kind.narrative(alert.evidence, "es"), kind.narrative(alert.evidence, "en")
    assert "«Pero el pedido llegó tarde otra vez y sin stock.»" in es
    assert "NPS de 3 sobre 10" in es and "entregas tardías y roturas de stock" in es
    assert '"Pero el pedido llegó tarde otra vez y sin stock."' in en
    assert "NPS of 3 out of 10" in en and "Also flagged to Marta Gil (manager)" in en
    assert "about €19,500 are at stake" in en and "unos 19\xa0500\xa0€" in es
    # Routed to the rep's queue; the manager sees it in the team queue too.
    for user in (team["ana"], team["boss"]):
        page = Browser()
        page.force_login(user)
        assert "Detractor" in page.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = Browser()
    page.force_login(team["ana"])
    detail = page.get(f"/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "sin stock" in detail and "nps-chart" in detail


def test_rerun_refreshes_and_a_better_answer_expires_the_alert(team, steady_buyer):
    big = team["clients"]["C001"]
    steady_buyer(big, 5000)
    small_buyers(steady_buyer)
    survey(big, "R1", 4, "Too expensive.", days_ago=20)
    services.run(AS_OF)
    again = services.run(AS_OF)
    assert again.alerts_created == 0 and again.alerts_updated == 1
    assert Alert.objects.filter(kind="detractor").count() == 1
    survey(big, "R2", 10, "Excellent, thanks.", days_ago=2)
    later = services.run(AS_OF)
    assert later.alerts_expired == 1
    assert Alert.objects.get(kind="detractor").status == Alert.Status.EXPIRED


def test_a_false_alarm_is_not_raised_again_at_once(team, steady_buyer):
    big = team["clients"]["C001"]
    steady_buyer(big, 5000)
    small_buyers(steady_buyer)
    survey(big, "R1", 1, "Horrible service.")
    services.run(AS_OF)
    alert = Alert.objects.get(kind="detractor")
    Feedback.objects.create(alert=alert, user=team["ana"], verdict=Feedback.Verdict.FALSE_ALARM)
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.DISMISSED)
    assert services.run(AS_OF).alerts_created == 0


def test_complaint_note_followed_by_falling_orders(team, buy, steady_buyer):
    client = team["clients"]["C002"]
    complaint_day = AS_OF - dt.timedelta(days=60)
    for k in range(12):  # a year of 1,000 a month before the complaint, then almost nothing
        buy(client, complaint_day - dt.timedelta(days=30 * k + 5), 1000)
    buy(client, AS_OF - dt.timedelta(days=20), 100)
    small_buyers(steady_buyer, per_month=2000)
    note = VisitNote.objects.create(
        client=client, author=team["ana"], text="Se quejan: rotura de stock de carpules."
    )
    VisitNote.objects.filter(pk=note.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(complaint_day, dt.time(10)))
    )
    note.refresh_from_db()
    note.save()  # re-analysed with its (back-dated) day
    services.run(AS_OF)
    alert = Alert.objects.get(kind="detractor")
    assert alert.client == client and alert.evidence["triggers"] == ["complaint_falling"]
    assert alert.evidence["orders_change"] < -0.8
    en = kinds.get("detractor").narrative(alert.evidence, "en")
    assert "In a visit note of" in en and "rotura de stock" in en
    assert "compatible with the complaint weighing on its orders, not proof of it" in en


def test_a_note_is_analysed_when_saved(team):
    note = VisitNote.objects.create(
        client=team["clients"]["C001"], author=team["ana"], text="The rep was rude, no stock."
    )
    analysis = note.voice_analysis
    assert analysis.label == "neg" and analysis.language == "en" and analysis.is_complaint
    note.text = "Todo perfecto, muy contentos."
    note.save()
    note.refresh_from_db()
    assert note.voice_analysis.label == "pos" and not note.voice_analysis.is_complaint


def test_missing_nps_is_predicted_from_text_and_scores(team, steady_buyer):
    for i in range(40):
        good = i % 2 == 0
        SurveyResponse.objects.create(
            response_id=f"T{i}",
            client=team["clients"]["C003"],
            date=AS_OF - dt.timedelta(days=200 - i),
            nps=10 if good else 2,
            overall=5 if good else 1,
            comment="Excelente servicio, gracias." if good else "Llegó tarde y roto, muy mal.",
        )
    missing = survey(team["clients"]["C001"], "M1", None, "Llegó tarde y roto otra vez.")
    run = services.run(AS_OF)
    assert run.model_info["nps_model"] and run.model_info["nps_predicted"] == 1
    missing.refresh_from_db()
    assert missing.analysis.nps_category == "detractor" and missing.analysis.nps_predicted


def test_the_celery_task_runs_the_engine(team, steady_buyer):
    from voice.tasks import run_voice

    big = team["clients"]["C001"]
    steady_buyer(big, 5000)
    small_buyers(steady_buyer)
    survey(big, "R1", 2, "Pésimo servicio.")
    result = run_voice.delay(AS_OF.isoformat()).get()
    assert result["status"] == "succeeded" and result["alerts_created"] == 1
