"""The rep- and manager-facing pages: full pages, htmx partials, permissions and answers."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Alert, Feedback, VisitNote
from tests.e2e.world import PASSWORD, make_world

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    """Log ``user`` in; pages come in English unless a test switches the language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.login(username=user.username, password=PASSWORD)
    return client


def row_ids(html):
    return [int(pk) for pk in re.findall(r'id="alert-row-(\d+)"', html)]


def answer(client, alert, verdict="act", htmx=True, **data):
    payload = {"verdict": verdict, "key": data.pop("key", f"k-{alert.pk}-{verdict}")}
    payload.update(data)
    extra = HTMX if htmx else {}
    return client.post(reverse("web:answer", args=[alert.pk]), payload, **extra)


# --- Queue -------------------------------------------------------------------------------


def test_pages_need_login(client, world):
    for url in [
        reverse("web:queue"),
        reverse("web:alert", args=[world.alerts["churn"].pk]),
        reverse("web:client", args=[world.clients["C001"].pk]),
        reverse("web:manager"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_queue_lists_own_open_alerts_by_euros_at_stake(client, world):
    login(client, world.ana)
    response = client.get(reverse("web:queue"))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    a = world.alerts
    assert row_ids(html) == [a["churn"].pk, a["technical"].pk, a["stopped"].pk]
    assert "Odontología Levante" not in html and "Clínica Bahía" not in html
    assert "€1,840" in html
    # Counts per kind, and the recommended action of the first row.
    assert re.search(r"Partial churn</span> <b>1</b>", html)
    assert re.search(r"All</span> <b>3</b>", html)
    assert world.actions[_rec_code(world, "churn")].name in html


def _rec_code(world, name):
    return world.alerts[name].recommendations.first().action.code


def test_queue_htmx_returns_the_partial_with_counts_out_of_band(client, world):
    login(client, world.ana)
    response = client.get(reverse("web:queue"), {"kind": "partial_churn"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="queue-counts" class="chips" hx-swap-oob="true"' in html
    assert row_ids(html) == [world.alerts["churn"].pk]


def test_htmx_history_restore_gets_the_full_page(client, world):
    login(client, world.ana)
    response = client.get(
        reverse("web:queue"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"kind": "technical_deterioration"}, ["technical"]),
        ({"province": "Madrid"}, ["churn", "stopped"]),
        ({"q": "sonrisa"}, ["churn"]),
        ({"q": "C003"}, ["stopped"]),
        ({"status": "dismissed"}, ["old_dismissed"]),
        ({"kind": "not-a-kind", "family": "x"}, ["churn", "technical", "stopped"]),
    ],
)
def test_queue_filters(client, world, query, expected):
    login(client, world.ana)
    html = client.get(reverse("web:queue"), query).content.decode()
    assert row_ids(html) == [world.alerts[name].pk for name in expected]


def test_queue_family_filter(client, world):
    login(client, world.ana)
    html = client.get(reverse("web:queue"), {"family": world.families["IMPL"].pk}).content
    assert row_ids(html.decode()) == [world.alerts["technical"].pk]


def test_snoozed_alert_comes_back_when_due(client, world):
    today = timezone.localdate()
    Alert.objects.filter(pk=world.alerts["technical"].pk).update(
        status=Alert.Status.SNOOZED, snoozed_until=today + timedelta(days=3)
    )
    Alert.objects.filter(pk=world.alerts["stopped"].pk).update(
        status=Alert.Status.SNOOZED, snoozed_until=today
    )
    login(client, world.ana)
    html = client.get(reverse("web:queue")).content.decode()
    # back from snooze: at the top of the queue (issue "Briefings"), above larger alerts
    assert row_ids(html) == [world.alerts["stopped"].pk, world.alerts["churn"].pk]


def test_pagination_keeps_the_filters(client, db):
    world = make_world(extra_alerts=70)
    world.ana.weekly_capacity = 500  # the whole queue, not this week's top 25
    world.ana.save()
    login(client, world.ana)
    html = client.get(reverse("web:queue"), {"province": "Sevilla"}).content.decode()
    assert len(row_ids(html)) == 25
    assert 'href="?province=Sevilla&amp;page=2"' in html
    page2 = client.get(reverse("web:queue"), {"province": "Sevilla", "page": 2}).content.decode()
    sevilla = Alert.objects.filter(client__province="Sevilla", client__rep=world.ana).count()
    assert len(row_ids(page2)) == sevilla - 25
    assert not set(row_ids(html)) & set(row_ids(page2))


def test_queue_query_count_does_not_grow_with_rows(client, db):
    world = make_world(extra_alerts=40)
    login(client, world.ana)
    client.get(reverse("web:queue"))  # warm the province cache and the session
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web:queue"), {"province": "Toledo"})
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("web:queue"))
    assert len(large) == len(small)
    assert len(large) <= 10


def test_manager_queue_covers_the_team_and_filters_by_rep(client, world):
    login(client, world.manager)
    html = client.get(reverse("web:queue")).content.decode()
    assert world.alerts["ben_pause"].pk in row_ids(html)
    assert world.alerts["carla_churn"].pk not in row_ids(html)
    html = client.get(reverse("web:queue"), {"rep": world.ben.pk}).content.decode()
    assert row_ids(html) == [world.alerts["ben_pause"].pk]


def test_empty_queue_says_so(client, world):
    login(client, world.carla)
    Alert.objects.filter(client__rep=world.carla).update(status=Alert.Status.RESOLVED)
    html = client.get(reverse("web:queue")).content.decode()
    assert "All caught up" in html


# --- Answers -----------------------------------------------------------------------------


def test_answer_inline_records_feedback_and_updates_counts(client, world):
    login(client, world.ana)
    alert = world.alerts["churn"]
    response = answer(
        client, alert, action=world.actions["visit"].pk, where="row", next="/?province=Madrid"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<tr id="alert-row-{alert.pk}" class="answered"')
    assert "I will act: Visit" in html
    # Counts follow the queue's filters (Madrid: one alert left to do).
    assert 'hx-swap-oob="true"' in html and re.search(r"</span> <b>1</b>", html)
    feedback = Feedback.objects.get(alert=alert)
    assert (feedback.user, feedback.verdict, feedback.action) == (
        world.ana,
        "act",
        world.actions["visit"],
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACTING


def test_answer_forms_load_when_opened(client, world):
    login(client, world.ana)
    alert = world.alerts["churn"]
    url = reverse("web:answer", args=[alert.pk])
    html = client.get(url, {"next": "/?kind=partial_churn"}, **HTMX).content.decode()
    assert html.count('<form class="answer-form') == 3 and "<html" not in html
    assert 'name="next" value="/?kind=partial_churn"' in html
    rec = alert.recommendations.first()
    assert f'<option value="{rec.action.pk}" selected>' in html
    # Without JavaScript the row's "Answer" leads to the alert page, which has the forms.
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(
        reverse("web:alert", args=[alert.pk])
    )
    other = reverse("web:answer", args=[world.alerts["carla_churn"].pk])
    assert client.get(other, **HTMX).status_code == 404


def test_answer_without_javascript_redirects_back(client, world):
    login(client, world.ana)
    alert = world.alerts["technical"]
    response = answer(
        client, alert, "false_alarm", htmx=False, reason="Data error", next="/?kind=x"
    )
    assert response.status_code == 302 and response.url == "/?kind=x"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISMISSED
    assert Feedback.objects.get(alert=alert).reason == "Data error"


def test_answer_refuses_an_unsafe_next_url(client, world):
    login(client, world.ana)
    alert = world.alerts["technical"]
    response = answer(client, alert, "false_alarm", htmx=False, reason="x", next="https://evil")
    assert response.url == reverse("web:alert", args=[alert.pk])


def test_snooze_answer(client, world):
    login(client, world.ana)
    until = timezone.localdate() + timedelta(days=10)
    answer(client, world.alerts["stopped"], "snooze", snooze_until=until.isoformat(), where="row")
    alert = Alert.objects.get(pk=world.alerts["stopped"].pk)
    assert (alert.status, alert.snoozed_until) == (Alert.Status.SNOOZED, until)
    html = client.get(reverse("web:queue")).content.decode()
    assert alert.pk not in row_ids(html)


@pytest.mark.parametrize(
    "verdict, data, message",
    [
        ("act", {}, "Choose the action"),
        ("false_alarm", {}, "Say why"),
        ("snooze", {"snooze_until": "2001-01-01"}, "must be in the future"),
    ],
)
def test_incomplete_answer_shows_the_error_and_records_nothing(
    client, world, verdict, data, message
):
    login(client, world.ana)
    alert = world.alerts["churn"]
    response = answer(client, alert, verdict, where="row", **data)
    html = response.content.decode()
    assert f'id="alert-row-{alert.pk}" class="alert-row has-errors"' in html
    assert message in html and '<details class="answer-menu" open' in html
    assert not Feedback.objects.exists()
    response = answer(client, alert, verdict, htmx=False, **data)
    assert response.status_code == 400 and message in response.content.decode()


def test_action_that_does_not_apply_is_refused(client, world):
    login(client, world.ana)
    response = answer(client, world.alerts["technical"], action=world.actions["email"].pk)
    assert "error" in response.content.decode()
    assert not Feedback.objects.exists()


def test_double_submission_is_recorded_once(client, world):
    login(client, world.ana)
    alert = world.alerts["churn"]
    data = {"action": world.actions["call"].pk, "key": "same-key", "where": "row"}
    first = answer(client, alert, **data)
    second = answer(client, alert, **data)
    assert first.status_code == second.status_code == 200
    assert "answered" in second.content.decode()
    assert Feedback.objects.filter(alert=alert).count() == 1


def test_a_key_of_another_answer_is_refused(client, world):
    login(client, world.ana)
    answer(client, world.alerts["churn"], action=world.actions["call"].pk, key="k1", where="row")
    response = answer(client, world.alerts["technical"], "false_alarm", reason="x", key="k1")
    assert "This form was already used" in response.content.decode()
    assert not world.alerts["technical"].feedback.exists()


def test_answer_from_the_detail_page_returns_the_detail_partial(client, world):
    login(client, world.ana)
    alert = world.alerts["churn"]
    response = answer(client, alert, action=world.actions["call"].pk, where="detail")
    html = response.content.decode()
    assert html.startswith('<div id="alert-body"') and "<html" not in html
    assert "Phone call" in html  # in the history


def test_answer_needs_post_and_csrf(world):
    browser = HttpClient(enforce_csrf_checks=True)
    login(browser, world.ana)
    url = reverse("web:answer", args=[world.alerts["churn"].pk])
    response = browser.post(url, {"verdict": "act", "action": world.actions["call"].pk})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


# --- Permissions -------------------------------------------------------------------------


def test_rep_cannot_read_or_answer_another_reps_alert(client, world):
    login(client, world.ana)
    other = world.alerts["carla_churn"]
    assert client.get(reverse("web:alert", args=[other.pk])).status_code == 404
    assert client.get(reverse("web:alert", args=[other.pk]), **HTMX).status_code == 404
    response = answer(client, other, action=world.actions["call"].pk)
    assert response.status_code == 404
    assert client.get(reverse("web:alert", args=[999999])).status_code == 404
    teammate = world.alerts["ben_pause"]
    assert client.get(reverse("web:alert", args=[teammate.pk])).status_code == 404
    assert answer(client, teammate, "false_alarm", reason="x").status_code == 404
    assert not Feedback.objects.exists()
    other.refresh_from_db()
    assert other.status == Alert.Status.OPEN


def test_rep_cannot_open_or_annotate_another_reps_client(client, world):
    login(client, world.ana)
    other = world.clients["C004"]
    assert client.get(reverse("web:client", args=[other.pk])).status_code == 404
    url = reverse("web:add_note", args=[other.pk])
    assert client.post(url, {"text": "sneaky"}).status_code == 404
    assert not VisitNote.objects.filter(client=other).exists()


def test_manager_sees_the_team_but_not_other_teams(client, world):
    login(client, world.manager)
    assert client.get(reverse("web:alert", args=[world.alerts["ben_pause"].pk])).status_code == 200
    assert client.get(reverse("web:client", args=[world.clients["C001"].pk])).status_code == 200
    other = world.alerts["carla_churn"]
    assert client.get(reverse("web:alert", args=[other.pk])).status_code == 404
    assert answer(client, other, action=world.actions["call"].pk).status_code == 404


def test_rep_has_no_manager_view(client, world):
    login(client, world.ana)
    assert client.get(reverse("web:manager")).status_code == 404


# --- Alert detail ------------------------------------------------------------------------


def test_commodity_alert_detail(client, world):
    login(client, world.ana)
    alert = world.alerts["churn"]
    Feedback.objects.create(alert=alert, user=world.ana, verdict="snooze", reason="on holiday")
    response = client.get(reverse("web:alert", args=[alert.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'role="img"' in html and f'id="chart-{alert.pk}-title"' in html
    assert html.count('class="bar out"') == 6 and html.count('class="campaign"') == 2
    assert 'class="expected"' in html and 'class="band"' in html
    assert "on holiday" in html  # history
    rec = alert.recommendations.first()
    assert f'<p class="rec-big">{rec.action.name}</p>' in html
    assert "Anaesthesia cartridges" in html  # narrative or header


def test_technical_alert_detail_partial(client, world):
    login(client, world.ana)
    alert = world.alerts["technical"]
    response = client.get(reverse("web:alert", args=[alert.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.startswith('<div id="alert-body"')
    assert 'class="threshold p75"' in html and 'class="threshold p90"' in html
    assert 'class="bar now out"' in html  # 71 days of silence is past P90 (52)


def test_detail_without_evidence_has_no_chart_but_a_narrative(client, world):
    login(client, world.ana)
    alert = world.alerts["stopped"]
    html = client.get(reverse("web:alert", args=[alert.pk])).content.decode()
    assert '<svg class="chart"' not in html
    assert 'class="lead"' in html


# --- Client page -------------------------------------------------------------------------


def test_client_page_full_and_partial(client, world):
    login(client, world.ana)
    url = reverse("web:client", args=[world.clients["C001"].pk])
    html = client.get(url).content.decode()
    assert "<html" in html
    assert "Anaesthesia cartridges" in html and "F-0000" in html and "F-0001" in html
    assert "new dentist joined" in html
    assert f'href="/alerts/{world.alerts["churn"].pk}/"' in html
    partial = client.get(url, **HTMX).content.decode()
    assert partial.startswith('<div id="client-body">') and "<html" not in partial


def test_add_note_htmx_and_plain(client, world):
    login(client, world.ana)
    c = world.clients["C002"]
    url = reverse("web:add_note", args=[c.pk])
    html = client.post(url, {"text": "Asked for a demo."}, **HTMX).content.decode()
    assert html.startswith('<section id="notes"') and "Asked for a demo." in html
    response = client.post(url, {"text": "Second visit."})
    assert response.status_code == 302 and response.url.endswith("#notes")
    assert list(VisitNote.objects.filter(client=c).values_list("text", flat=True)) == [
        "Second visit.",
        "Asked for a demo.",
    ]
    bad = client.post(url, {"text": "   "}, **HTMX).content.decode()
    assert 'class="error"' in bad
    assert VisitNote.objects.filter(client=c).count() == 2


# --- Manager view ------------------------------------------------------------------------


def test_manager_view_full_and_partial(client, world):
    login(client, world.manager)
    response = client.get(reverse("web:manager"))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "Ana García" in html and "Ben Soler" in html and "Carla" not in html
    coverage = html[html.index('id="coverage"') : html.index('id="record-h"')]
    assert "Dentalia Retiro" in coverage and "Clínica Bahía" in coverage  # 12 and 9 days
    assert "Clínica Dental Sonrisa" not in coverage  # 3 days old
    partial = client.get(reverse("web:manager"), **HTMX).content.decode()
    assert partial.startswith('<div id="manager-body"') and "<html" not in partial


def test_answered_alert_leaves_coverage(client, world):
    Feedback.objects.create(alert=world.alerts["stopped"], user=world.ana, verdict="act")
    login(client, world.manager)
    html = client.get(reverse("web:manager")).content.decode()
    coverage = html[html.index('id="coverage"') : html.index('id="record-h"')]
    assert "Dentalia Retiro" not in coverage and "Clínica Bahía" in coverage


def test_track_record_says_where_it_comes_from(client, world):
    Alert.objects.filter(pk=world.alerts["technical"].pk).update(status=Alert.Status.RESOLVED)
    login(client, world.manager)
    html = client.get(reverse("web:manager")).content.decode()
    assert "No outcomes recorded yet" in html
    record = html[html.index('id="record-h"') :]
    assert "100" in record and "0\xa0%" in record  # technical 1/1, partial churn 0/1


# --- Language ----------------------------------------------------------------------------


def test_language_switch(client, world):
    login(client, world.ana)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    html = client.get(reverse("web:queue")).content.decode()
    assert 'lang="es"' in html and "Mi cola" in html and "1\xa0840\xa0€" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("web:queue")).content.decode()
    assert 'lang="en"' in html and "My queue" in html and "€1,840" in html
