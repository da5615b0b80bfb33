"""The weekly digest e-mail: what it lists for a rep and a manager, in their language, with
links back; a user who switched it off gets nothing."""

import datetime as dt

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from briefings import digest
from briefings.tasks import send_digests
from crm.models import Alert

from ..e2e.world import PASSWORD


def _emails(world):
    for user in (world.ana, world.ben, world.carla, world.manager, world.other_manager):
        user.email = f"{user.username}@example.com"
        user.save()


def test_the_reps_digest_lists_new_waiting_and_snoozed_alerts(world):
    today = timezone.localdate()
    technical = world.alerts["technical"]
    technical.status, technical.snoozed_until = Alert.Status.SNOOZED, today + dt.timedelta(days=3)
    technical.save()
    d = digest.rep_digest(world.ana, today)
    assert [r["client"] for r in d["new"]["rows"]] == ["Clínica Dental Sonrisa"]
    assert [r["client"] for r in d["waiting"]["rows"]] == ["Dentalia Retiro"]  # 12 days old
    assert [r["client"] for r in d["snoozes"]["rows"]] == ["Centro Odontológico Norte"]


def test_a_snooze_that_ended_is_a_reminder_in_the_next_digest(world):
    today = timezone.localdate()
    stopped = world.alerts["stopped"]
    stopped.status, stopped.snoozed_until = Alert.Status.SNOOZED, today - dt.timedelta(days=2)
    stopped.save()
    world.ana.email = "ana@example.com"
    world.ana.save()
    assert digest.send_digest(world.ana, today) == 1
    body = mail.outbox[0].body
    snoozes = body[body.index("1 snooze ending this week:") :]
    assert "Dentalia Retiro · Stopped buying · back in your queue" in snoozes
    assert "Dentalia Retiro" not in body[: body.index("1 snooze ending")].split("waiting")[1]


def test_the_digest_mail_has_text_and_html_in_the_users_language_with_links(world):
    _emails(world)
    world.ana.language = "es"
    world.ana.save()
    assert send_digests.delay().get() == {"sent": 5}  # three reps, two managers
    by_to = {m.to[0]: m for m in mail.outbox}
    ana = by_to["ana@example.com"]
    assert ana.subject.startswith("Tu cola esta semana")
    assert "2 avisos nuevos esta semana" in ana.body
    html = ana.alternatives[0][0]
    assert ana.alternatives[0][1] == "text/html"
    alert_url = "https://crm.example.com" + reverse("web:alert", args=[world.alerts["churn"].pk])
    assert alert_url in ana.body and f'href="{alert_url}"' in html
    assert "https://crm.example.com" + reverse("briefings:profile") in ana.body
    marta = by_to["marta@example.com"]
    assert marta.subject.startswith("Your team this week")
    assert "Team coverage" in marta.body and "Ana García" in marta.body
    assert "https://crm.example.com" + reverse("web:manager") in marta.body


def test_the_managers_digest_names_alerts_nobody_answered(world):
    d = digest.manager_digest(world.manager, timezone.localdate())
    assert [r["client"] for r in d["unanswered"]["rows"]] == ["Clínica Bahía", "Dentalia Retiro"]
    assert {r["rep"].username for r in d["team"]} >= {"ana", "ben"}


def test_switching_the_digest_off_in_the_profile_stops_it(world, client):
    _emails(world)
    assert client.login(username="ana", password=PASSWORD)
    page = client.get(reverse("briefings:profile")).content.decode()
    assert 'name="weekly_digest" checked' in page
    response = client.post(reverse("briefings:profile"), {}, follow=True)
    assert "The weekly digest is off." in response.content.decode()
    assert 'name="weekly_digest" checked' not in response.content.decode()
    digest.send_digests()
    assert "ana@example.com" not in [m.to[0] for m in mail.outbox]
    assert "ben@example.com" in [m.to[0] for m in mail.outbox]
    client.post(reverse("briefings:profile"), {"weekly_digest": "on"})
    mail.outbox.clear()
    digest.send_digests()
    assert "ana@example.com" in [m.to[0] for m in mail.outbox]
