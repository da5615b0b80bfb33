"""Alerts: the queue's filters, the detail with narrative and recommendation, answering one."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from crm.models import Alert, Feedback
from recommender.models import Action


def ids(response):
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["results"]]


@pytest.fixture
def call(db):
    action, _ = Action.objects.update_or_create(
        code="call", defaults={"name_es": "Llamar", "name_en": "Call", "alert_kinds": []}
    )
    return action


def test_rep_queue_is_their_open_alerts_largest_first(world, api_as):
    response = api_as(world.ana).get("/api/v1/alerts/")
    assert ids(response) == [world.a_ana1.pk, world.a_ana2.pk]
    first = response.json()["results"][0]
    assert first["client"]["code"] == "C-ANA-1"
    assert first["family"]["code"] == "ANE"
    assert first["priority"] == "2400.00"


def test_status_filter_reaches_closed_alerts(world, api_as):
    rep = api_as(world.ana)
    assert ids(rep.get("/api/v1/alerts/", {"status": "all"})) == [
        world.a_ana_done.pk,
        world.a_ana1.pk,
        world.a_ana2.pk,
    ]
    assert ids(rep.get("/api/v1/alerts/", {"status": "dismissed"})) == [world.a_ana_done.pk]


def test_queue_filters(world, api_as):
    manager = api_as(world.manager)
    assert ids(manager.get("/api/v1/alerts/")) == [
        world.a_bob1.pk,
        world.a_ana1.pk,
        world.a_ana2.pk,
    ]
    assert ids(manager.get("/api/v1/alerts/", {"rep": "bob"})) == [world.a_bob1.pk]
    assert ids(manager.get("/api/v1/alerts/", {"kind": "technical_deterioration"})) == [
        world.a_ana2.pk
    ]
    assert ids(manager.get("/api/v1/alerts/", {"family": "IMP"})) == [world.a_ana2.pk]
    assert ids(manager.get("/api/v1/alerts/", {"province": "Madrid"})) == [
        world.a_bob1.pk,
        world.a_ana1.pk,
    ]
    assert ids(manager.get("/api/v1/alerts/", {"search": "ana-2"})) == [world.a_ana2.pk]


def test_paging_keeps_the_queue_order(world, api_as):
    manager = api_as(world.manager)
    everything = ids(manager.get("/api/v1/alerts/", {"status": "all"}))
    paged, url = [], "/api/v1/alerts/?status=all&page_size=2"
    while url:
        page = manager.get(url).json()
        paged += [a["id"] for a in page["results"]]
        url = page["next"]
    assert paged == everything
    assert len(everything) == 4


def test_rep_filter_cannot_widen_visibility(world, api_as):
    assert ids(api_as(world.ana).get("/api/v1/alerts/", {"rep": "carl"})) == []


def test_bad_filter_values_are_400_naming_the_filter(world, api_as):
    response = api_as(world.ana).get("/api/v1/alerts/", {"kind": "nope", "status": "later"})
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "status"}


def test_unknown_family_or_rep_matches_nothing(world, api_as):
    manager = api_as(world.manager)
    assert ids(manager.get("/api/v1/alerts/", {"family": "NOPE"})) == []
    assert ids(manager.get("/api/v1/alerts/", {"rep": "nobody"})) == []


def test_closed_alerts_can_be_opened_by_id(world, api_as):
    response = api_as(world.ana).get(f"/api/v1/alerts/{world.a_ana_done.pk}/?status=open")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"


def test_another_reps_alert_is_404(world, api_as):
    response = api_as(world.ana).get(f"/api/v1/alerts/{world.a_bob1.pk}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    other_team = api_as(world.manager).get(f"/api/v1/alerts/{world.a_carl1.pk}/")
    assert other_team.status_code == 404


def test_detail_has_evidence_narrative_in_the_asked_language_and_recommendation(world, api_as):
    from twins.narratives import render_narrative

    rep = api_as(world.ana)
    url = f"/api/v1/alerts/{world.a_ana1.pk}/"
    english = rep.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    spanish = rep.get(url, HTTP_ACCEPT_LANGUAGE="es").json()
    assert english["evidence"] == world.a_ana1.evidence
    alert = world.a_ana1
    assert english["narrative"] == render_narrative(alert.kind, alert.evidence, "en")
    assert spanish["narrative"] == render_narrative(alert.kind, alert.evidence, "es")
    assert english["narrative"] != spanish["narrative"]
    assert "recommendation" in english


def test_detail_shows_the_recommenders_current_action(world, api_as, call):
    from recommender.models import Recommendation

    Recommendation.objects.create(
        alert=world.a_ana1, action=call, context="x", propensity=0.6, confidence=0.3
    )
    body = (
        api_as(world.ana)
        .get(f"/api/v1/alerts/{world.a_ana1.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )
    assert body["recommendation"] == {
        "action": "call",
        "action_name": "Call",
        "propensity": 0.6,
        "confidence": 0.3,
    }


def answer(client, alert, **data):
    return client.post(f"/api/v1/alerts/{alert.pk}/feedback/", data, format="json")


def test_answer_act_moves_the_alert_to_acting(world, api_as, call):
    response = answer(api_as(world.ana), world.a_ana1, verdict="act", action="call")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["verdict"], body["action"], body["user"], body["alert_status"]) == (
        "act",
        "call",
        "ana",
        "acting",
    )
    world.a_ana1.refresh_from_db()
    assert world.a_ana1.status == Alert.Status.ACTING


@pytest.mark.parametrize(
    "data, field",
    [
        ({"verdict": "act"}, "action"),
        ({"verdict": "act", "action": "teleport"}, "action"),
        ({"verdict": "maybe"}, "verdict"),
        ({"verdict": "snooze"}, "snooze_until"),
        ({"verdict": "snooze", "snooze_until": "2020-01-01"}, "snooze_until"),
        ({"verdict": "snooze", "snooze_until": "soon"}, "snooze_until"),
    ],
)
def test_incomplete_answers_are_400_naming_the_field(world, api_as, call, data, field):
    response = answer(api_as(world.ana), world.a_ana1, **data)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)
    assert not Feedback.objects.exists()


def test_snooze_sets_the_date(world, api_as):
    until = timezone.localdate() + dt.timedelta(days=10)
    response = answer(api_as(world.ana), world.a_ana2, verdict="snooze", snooze_until=str(until))
    assert response.status_code == 201
    world.a_ana2.refresh_from_db()
    assert (world.a_ana2.status, world.a_ana2.snoozed_until) == ("snoozed", until)


def test_answering_a_closed_alert_is_409(world, api_as):
    response = answer(api_as(world.ana), world.a_ana_done, verdict="false_alarm", reason="x")
    assert response.status_code == 409
    assert list(response.json()) == ["alert"]


def test_repeated_idempotency_key_records_one_answer(world, api_as):
    rep = api_as(world.ana)
    first = answer(rep, world.a_ana1, verdict="false_alarm", reason="Stock", idempotency_key="k1")
    again = answer(rep, world.a_ana1, verdict="false_alarm", reason="Stock", idempotency_key="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Feedback.objects.count() == 1


def test_idempotency_key_of_another_answer_is_409_and_leaks_nothing(world, api_as):
    answer(api_as(world.bob), world.a_bob1, verdict="false_alarm", idempotency_key="shared")
    response = answer(
        api_as(world.ana), world.a_ana1, verdict="false_alarm", idempotency_key="shared"
    )
    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    world.a_ana1.refresh_from_db()
    assert world.a_ana1.status == Alert.Status.OPEN


def test_rep_cannot_answer_another_reps_alert(world, api_as):
    response = answer(api_as(world.ana), world.a_bob1, verdict="false_alarm")
    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_manager_can_answer_for_the_team(world, api_as):
    response = answer(api_as(world.manager), world.a_bob1, verdict="false_alarm", reason="Data")
    assert response.status_code == 201
    assert response.json()["user"] == "mgr"


def test_writes_are_throttled(world, api_as, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"write": "2/minute"})
    history = f"throttle_write_{world.ana.pk}"  # ScopedRateThrottle's cache key for the user
    cache.delete(history)
    rep = api_as(world.ana)
    try:
        codes = [
            answer(rep, world.a_ana1, verdict="false_alarm", idempotency_key="t").status_code
            for _ in range(3)
        ]
        reads = [rep.get("/api/v1/alerts/").status_code for _ in range(3)]
    finally:
        cache.delete(history)
    assert codes == [201, 201, 429]
    assert reads == [200, 200, 200]


def test_session_writes_need_the_csrf_token(world):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.ana)
    url = f"/api/v1/alerts/{world.a_ana1.pk}/feedback/"
    response = browser.post(url, {"verdict": "false_alarm"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Feedback.objects.exists()
