"""In-app notifications: fed by new alerts, a manager's comments, snoozes ending and failed
runs; the bell counts the unread ones; each user sees only their own."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from briefings import notifications
from briefings.models import Notification
from crm import services as crm_services
from crm.models import Alert, Feedback, User
from crm.signals import alerts_published

from ..e2e.world import PASSWORD


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def events(user):
    return list(Notification.objects.filter(user=user).values_list("event", flat=True))


def test_published_alerts_notify_the_rep_of_each_client_once(world):
    ids = [world.alerts[n].pk for n in ("churn", "ben_pause", "old_dismissed")]
    alerts_published.send(sender=Alert, alert_ids=ids)
    alerts_published.send(sender=Alert, alert_ids=ids)  # a refresh adds nothing
    assert events(world.ana) == ["alert_assigned"]  # the dismissed one is not news
    assert events(world.ben) == ["alert_assigned"]
    assert events(world.carla) == []
    note = Notification.objects.get(user=world.ana)
    assert note.url == reverse("web:alert", args=[world.alerts["churn"].pk])


def test_a_large_run_notifies_in_batches(db, monkeypatch):
    from tests.e2e.world import make_world

    w = make_world(extra_alerts=12)
    monkeypatch.setattr(notifications, "BATCH", 5)
    ids = list(Alert.objects.filter(client__rep=w.ana).values_list("pk", flat=True))
    assert notifications.notify_new_alerts(ids) == 15  # Ana's open alerts, the dismissed left out
    assert notifications.notify_new_alerts(ids) == 0


def test_a_managers_comment_reaches_the_rep_but_the_reps_own_does_not(world):
    churn = world.alerts["churn"]
    crm_services.answer_alert(
        churn, world.ana, Feedback.Verdict.FALSE_ALARM, reason="seasonal", comment="my own note"
    )
    assert events(world.ana) == []
    crm_services.add_visit_note(churn.client, world.manager, "Call Dr. Pérez before Friday.")
    assert events(world.ana) == ["manager_comment"]
    crm_services.add_visit_note(churn.client, world.other_manager, "Not my team.")
    assert events(world.ana) == ["manager_comment"]


def test_snoozes_that_end_are_notified_once(world):
    stopped = world.alerts["stopped"]
    today = timezone.localdate()
    stopped.status, stopped.snoozed_until = Alert.Status.SNOOZED, today
    stopped.save()
    assert notifications.notify_snoozes_ended(today - dt.timedelta(days=1)) == 0
    assert notifications.notify_snoozes_ended(today) == 1
    assert notifications.notify_snoozes_ended(today) == 0
    assert events(world.ana) == ["snooze_ended"]


def test_a_failed_scoring_run_tells_the_admins(world):
    from twins.models import ScoringRun
    from twins.runs.lifecycle import fail_run

    admin = User.objects.create_user("root", password=PASSWORD, role=User.Role.ADMIN)
    run = ScoringRun.objects.create(as_of=timezone.localdate(), status=ScoringRun.Status.RUNNING)
    fail_run(run.pk, "shard 3 failed: MemoryError()")
    assert events(admin) == ["run_failed"]
    assert events(world.ana) == [] and events(world.manager) == []
    text = notifications.text_of(Notification.objects.get(user=admin))
    assert "failed" in text and "MemoryError" in text


def test_the_bell_counts_unread_and_the_list_shows_only_mine(world, client):
    alerts_published.send(
        sender=Alert, alert_ids=[world.alerts[n].pk for n in ("churn", "technical", "ben_pause")]
    )
    login(client, world.ana)
    page = client.get(reverse("web:queue")).content.decode()
    assert 'id="notification-bell"' in page and '<span class="bell-count">2</span>' in page
    listing = client.get(reverse("briefings:notifications")).content.decode()
    assert "New alert: Partial churn for Clínica Dental Sonrisa, 1,840 € at stake." in (listing)
    assert "Centro Odontológico Norte" in listing
    assert "Clínica Bahía" not in listing  # Ben's
    bell = client.get(reverse("briefings:bell")).content.decode()
    assert "bell-count" not in bell  # read once listed
    assert 'hx-trigger="every 30s"' in bell


def test_notifications_read_in_the_readers_language(world, client):
    alerts_published.send(sender=Alert, alert_ids=[world.alerts["churn"].pk])
    login(client, world.ana)
    listing = client.get(reverse("briefings:notifications"), headers={"accept-language": "es"})
    text = listing.content.decode()
    assert "Nuevo aviso: Fuga parcial en Clínica Dental Sonrisa, 1\xa0840 € en juego." in text
    assert "<h1>Notificaciones</h1>" in text


def test_the_bell_needs_a_login(client, db):
    assert client.get(reverse("briefings:bell")).status_code == 302
