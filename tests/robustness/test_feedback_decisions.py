"""One alert, one rep decision; the bandit learns once per alert and action; one idempotency
key, one row and one status code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.models import Alert, Feedback
from recommender.models import Outcome, RewardEvent
from recommender.services import harvest_outcomes


def answer(client, alert, **body):
    return client.post(f"/api/v1/alerts/{alert.pk}/feedback/", body, format="json")


def engaged():
    return sorted(
        RewardEvent.objects.filter(kind=RewardEvent.Kind.ENGAGED).values_list(
            "feedback__alert_id", "action__code"
        )
    )


def test_three_i_will_act_in_a_row_create_one_answer_and_one_reward(world, api_as):
    rep = api_as(world.ana)
    codes = [answer(rep, world.a_ana1, verdict="act", action="call").status_code for _ in range(3)]
    assert codes == [201, 409, 409]
    assert Feedback.objects.filter(alert=world.a_ana1).count() == 1
    assert engaged() == [(world.a_ana1.pk, "call")]


def test_the_refusal_names_the_alert_and_leaves_it_acting(world, api_as):
    rep = api_as(world.ana, "en")
    answer(rep, world.a_ana1, verdict="act", action="call")
    refused = answer(rep, world.a_ana1, verdict="act", action="visit")
    assert refused.status_code == 409
    assert list(refused.json()) == ["alert"]
    assert "already" in refused.json()["alert"][0]
    world.a_ana1.refresh_from_db()
    assert world.a_ana1.status == Alert.Status.ACTING
    assert engaged() == [(world.a_ana1.pk, "call")]  # the refused visit taught nothing


def test_a_later_answer_changes_the_decision_but_the_bandit_learns_once_per_action(world, actions):
    alert, ana = world.a_ana1, world.ana
    later = timezone.localdate() + timedelta(days=7)
    services.answer_alert(alert, ana, "act", action=actions["call"])
    services.answer_alert(alert, ana, "snooze", snooze_until=later)
    services.answer_alert(alert, ana, "act", action=actions["call"])  # the same action again
    assert engaged() == [(alert.pk, "call")]
    services.answer_alert(alert, ana, "snooze", snooze_until=later)
    services.answer_alert(alert, ana, "act", action=actions["visit"])  # another action
    assert engaged() == [(alert.pk, "call"), (alert.pk, "visit")]
    services.answer_alert(alert, ana, "false_alarm", reason="Data error")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISMISSED
    with pytest.raises(services.AnswerConflict):
        services.answer_alert(alert, ana, "snooze", snooze_until=later)


def test_harvest_judges_an_alert_and_action_once(world, actions):
    alert = world.a_ana1
    alert.evidence["recovery_threshold_units_per_week"] = 5
    alert.save()
    later = timezone.localdate() + timedelta(days=7)
    services.answer_alert(alert, world.ana, "act", action=actions["call"])
    services.answer_alert(alert, world.ana, "snooze", snooze_until=later)
    services.answer_alert(alert, world.ana, "act", action=actions["call"])
    Feedback.objects.update(created_at=timezone.now() - timedelta(weeks=10))
    assert harvest_outcomes() == 1
    assert harvest_outcomes() == 0
    assert Outcome.objects.filter(alert=alert).count() == 1
    judged = RewardEvent.objects.filter(kind__in=[RewardEvent.Kind.RECOVERED, "lost"])
    assert judged.count() == 1


def test_same_key_gives_one_row_and_the_same_status_every_time(world, api_as):
    rep = api_as(world.ana)
    responses = [
        answer(rep, world.a_ana1, verdict="act", action="call", idempotency_key="k-1")
        for _ in range(4)
    ]
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in responses] == [None] + ["true"] * 3
    assert Feedback.objects.count() == 1 and len(engaged()) == 1


def test_a_refused_answer_is_refused_again_with_its_key(world, api_as):
    rep = api_as(world.ana)
    codes = [
        answer(rep, world.a_ana_done, verdict="false_alarm", idempotency_key="late").status_code
        for _ in range(3)
    ]
    assert codes == [409, 409, 409]
    assert not Feedback.objects.exists()


def test_the_page_refuses_a_second_i_will_act_in_the_readers_language(world, actions, client):
    client.force_login(world.ana)
    url = f"/alerts/{world.a_ana1.pk}/answer/"
    form = {"verdict": "act", "action": actions["call"].pk}
    first = client.post(url, form | {"key": "page-1"})
    assert first.status_code == 302
    again = client.post(url, form | {"key": "page-2"}, HTTP_ACCEPT_LANGUAGE="es")
    assert again.status_code == 400
    assert "ya tiene la respuesta" in again.content.decode()
    assert Feedback.objects.count() == 1 and len(engaged()) == 1
