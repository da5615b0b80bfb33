"""Services and selectors behind the pages: answers, notes, queue, coverage, charts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from crm import selectors, services
from crm.models import Alert, Feedback, VisitNote
from tests.e2e.world import technical_evidence, weekly_evidence
from twins import charts
from web import selectors as web_selectors

# --- answer_alert ------------------------------------------------------------------------


def test_answer_moves_the_alert_along(world):
    alert = world.alerts["churn"]
    services.answer_alert(alert, world.ana, "act", action=world.actions["call"])
    assert alert.status == Alert.Status.ACTING
    later = timezone.localdate() + timedelta(days=7)
    services.answer_alert(alert, world.ana, "snooze", snooze_until=later)
    assert (alert.status, alert.snoozed_until) == (Alert.Status.SNOOZED, later)
    services.answer_alert(alert, world.ana, "false_alarm", reason="Stock still high")
    assert alert.status == Alert.Status.DISMISSED and alert.snoozed_until is None
    assert list(alert.feedback.values_list("verdict", flat=True)) == [
        "false_alarm",
        "snooze",
        "act",
    ]


@pytest.mark.parametrize(
    "verdict, kwargs, field",
    [
        ("act", {}, "action"),
        ("maybe", {}, "verdict"),
        ("snooze", {}, "snooze_until"),
        ("snooze", {"snooze_until": timezone.localdate()}, "snooze_until"),
    ],
)
def test_incomplete_answers_name_the_field(world, verdict, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.answer_alert(world.alerts["churn"], world.ana, verdict, **kwargs)
    assert field in exc.value.message_dict
    assert not Feedback.objects.exists()


def test_action_must_apply_to_the_alert_kind(world):
    with pytest.raises(ValidationError) as exc:
        services.answer_alert(
            world.alerts["technical"], world.ana, "act", action=world.actions["email"]
        )
    assert "action" in exc.value.message_dict


def test_closed_alert_cannot_be_answered(world):
    with pytest.raises(ValidationError) as exc:
        services.answer_alert(world.alerts["old_dismissed"], world.ana, "false_alarm")
    assert "alert" in exc.value.message_dict


def test_same_idempotency_key_records_once(world):
    alert = world.alerts["churn"]
    first = services.answer_alert(
        alert, world.ana, "act", action=world.actions["call"], idempotency_key="abc"
    )
    again = services.answer_alert(
        alert, world.ana, "act", action=world.actions["call"], idempotency_key="abc"
    )
    assert first.pk == again.pk and Feedback.objects.count() == 1


def test_add_visit_note(world):
    note = services.add_visit_note(world.clients["C002"], world.ana, "  Called back.  ")
    assert VisitNote.objects.get(pk=note.pk).text == "Called back."
    with pytest.raises(ValidationError) as exc:
        services.add_visit_note(world.clients["C002"], world.ana, "   ")
    assert "text" in exc.value.message_dict


# --- Selectors ---------------------------------------------------------------------------


def test_visibility_by_role(world, make_user):
    admin = make_user("root", role="admin")
    names = {a.pk: n for n, a in world.alerts.items()}

    def visible(user):
        return {names[pk] for pk in selectors.alerts_visible_to(user).values_list("pk", flat=True)}

    assert visible(world.ana) == {"churn", "technical", "stopped", "old_dismissed"}
    assert visible(world.ben) == {"ben_pause"}
    assert visible(world.manager) == visible(world.ana) | {"ben_pause"}
    assert visible(world.other_manager) == {"carla_churn"}
    assert visible(admin) == set(names.values())


def test_queue_counts_ignore_the_kind_filter(world):
    filters = selectors.QueueFilters(kind="full_churn")
    counts = selectors.queue_counts(world.ana, filters)
    assert {k: n for k, (n, _e) in counts.items()} == {
        "partial_churn": 1,
        "technical_deterioration": 1,
        "full_churn": 1,
    }
    assert counts["partial_churn"][1] == 1840
    assert [a.kind for a in selectors.queue_alerts(world.ana, filters)] == ["full_churn"]


def test_queue_is_one_query_with_its_columns(world):
    qs = selectors.queue_page_alerts(selectors.queue_alerts(world.ana, selectors.QueueFilters()))
    with CaptureQueriesContext(connection) as ctx:
        rows = [(a.client.name, a.family.name, a.priority) for a in qs[:25]]
    assert len(ctx) == 1 and rows[0][0] == "Clínica Dental Sonrisa"


def test_recommendations_for_a_page_in_one_query(world):
    pks = [world.alerts["churn"].pk, world.alerts["technical"].pk]
    alerts = list(Alert.objects.filter(pk__in=pks))
    with CaptureQueriesContext(connection) as ctx:
        recs = web_selectors.recommendations_for(alerts)
    assert len(ctx) == 1
    assert recs[world.alerts["churn"].pk].action.code in {"call", "visit", "offer", "email"}


def test_unanswered_alerts_are_older_than_a_week_without_feedback(world):
    names = {a.pk: n for n, a in world.alerts.items()}
    found = [names[a.pk] for a in selectors.unanswered_alerts(world.manager)]
    assert found == ["ben_pause", "stopped"]  # by euros at stake
    Feedback.objects.create(alert=world.alerts["ben_pause"], user=world.ben, verdict="act")
    assert [names[a.pk] for a in selectors.unanswered_alerts(world.manager)] == ["stopped"]


def test_track_record_falls_back_to_statuses(world):
    Alert.objects.filter(pk=world.alerts["technical"].pk).update(status=Alert.Status.RESOLVED)
    rows, source = web_selectors.track_record(world.manager)
    by_kind = {r["kind"]: r for r in rows}
    assert source == "statuses"
    assert by_kind["technical_deterioration"]["share"] == 1.0
    assert by_kind["partial_churn"]["judged"] == 1 and by_kind["partial_churn"]["share"] == 0.0
    assert by_kind["full_churn"]["share"] is None


def test_track_record_uses_outcomes_when_recorded(world):
    from recommender.models import Outcome

    alert = world.alerts["churn"]
    feedback = Feedback.objects.create(
        alert=alert, user=world.ana, verdict="act", action=world.actions["call"]
    )
    Outcome.objects.create(
        feedback=feedback,
        alert=alert,
        action=world.actions["call"],
        context="x",
        window_start=timezone.localdate(),
        window_weeks=6,
        units_per_week=9.0,
        threshold_units_per_week=6.0,
        recovered=True,
    )
    rows, source = web_selectors.track_record(world.ana)
    assert source == "outcomes"
    assert {r["kind"]: r["share"] for r in rows}["partial_churn"] == 1.0


def test_client_families_merge_twins_potentials_and_orders(world):
    rows = web_selectors.client_families(world.clients["C001"])
    assert [r["family"].code for r in rows] == ["ANES"]
    assert rows[0]["potential"] == 6000 and rows[0]["last_12m"] == 546


# --- Charts ------------------------------------------------------------------------------


def test_commodity_chart_marks_out_of_band_and_campaign_weeks():
    with translation.override("en"):
        svg = charts.commodity_chart(weekly_evidence(timezone.localdate(), drop_from=22), "c")
    assert svg.startswith("<svg") and 'aria-labelledby="c-title c-desc"' in svg
    assert svg.count('class="bar out"') == 4 and svg.count('class="bar"') == 22
    assert svg.count('class="campaign"') == 2
    assert "4 of 26 weeks fall outside" in svg


def test_technical_chart_flags_silence_past_p90():
    svg = charts.technical_chart(technical_evidence(), "t")
    assert 'class="bar now out"' in svg and svg.count('class="bar"') == 8
    assert "P90 52d" in svg and "P75 44d" in svg
    calm = charts.technical_chart({**technical_evidence(), "current_silence_days": 20}, "t")
    assert 'class="bar now"' in calm


def test_charts_draw_nothing_without_evidence():
    assert charts.commodity_chart({}) == "" and charts.technical_chart({}) == ""
