"""A rep hears the weekly brief on the queue page and reads the notifications behind the bell,
in a real browser; screenshots for docs/briefings.md."""

import datetime as dt
import re
import shutil

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.models import Alert
from crm.signals import alerts_published

from .test_pages import log_in
from .world import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _audio_dir(settings, tmp_path):
    settings.BRIEFINGS_AUDIO_DIR = tmp_path / "briefs"


def _news(w):
    """What a Monday morning brings Ana: new alerts, her manager's note, a snooze that ended."""
    alerts_published.send(sender=Alert, alert_ids=[w.alerts[n].pk for n in ("churn", "technical")])
    crm_services.add_visit_note(
        w.clients["C002"], w.manager, "Dr. Pérez is comparing implant brands: visit this week."
    )
    stopped = w.alerts["stopped"]
    stopped.status = Alert.Status.SNOOZED
    stopped.snoozed_until = timezone.localdate() - dt.timedelta(days=1)
    stopped.save()
    from briefings.notifications import notify_snoozes_ended

    notify_snoozes_ended()


def test_rep_reads_notifications_behind_the_bell(page, shoot):
    w = make_world(extra_alerts=3)
    _news(w)
    log_in(page, "ana")
    bell = page.locator("#notification-bell")
    assert bell.locator(".bell-count").inner_text() == "4"
    bell.click()
    page.wait_for_url(re.compile(r"/me/notifications/$"))
    items = page.locator("li.notification")
    assert items.count() == 4
    text = page.locator(".notification-list").inner_text()
    assert "Marta Ruiz commented on Centro Odontológico Norte" in text
    assert "Back from snooze: Stopped buying for Dentalia Retiro" in text
    assert "Clínica Bahía" not in text  # Ben's client
    shoot(page, "briefings-notifications", docs="briefings-notifications.png")
    # listed once, they are read: the bell polls its count and shows none
    page.goto(page.base_url + "/")
    assert page.locator("#notification-bell .bell-count").count() == 0
    # the snoozed alert is back at the top of the queue, marked
    first = page.locator("table.queue tbody tr").first
    assert "Dentalia Retiro" in first.inner_text()
    assert "Back from snooze" in first.inner_text()

    page.click("form.langswitch button[value=es]")
    page.goto(page.base_url + "/me/notifications/")
    assert "Notificaciones" in page.locator("h1").inner_text()
    shoot(page, "briefings-notifications-es")


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng missing (make browser)")
def test_rep_prepares_and_plays_the_brief_on_the_queue_page(page, shoot):
    w = make_world(extra_alerts=6)
    _news(w)
    w.ana.language = "es"
    w.ana.save()
    log_in(page, "ana")
    page.click("form.langswitch button[value=es]")
    player = page.locator("#brief-player")
    assert "Aún no hay resumen" in player.inner_text()
    player.locator("button[type=submit]").click()
    page.wait_for_selector("#brief-player audio")
    duration = page.evaluate(
        """() => new Promise(resolve => {
            const a = document.querySelector('#brief-player audio');
            if (a.readyState >= 1) return resolve(a.duration);
            a.addEventListener('loadedmetadata', () => resolve(a.duration));
            a.load();
        })"""
    )
    assert 20 < duration < 180  # five items said at a normal rate
    transcript = page.locator(".brief-transcript").inner_text()
    assert "Hola, Ana." in transcript and "Primero: Dentalia Retiro." in transcript
    assert "Vuelve de un aplazamiento." in transcript
    shoot(page, "briefings-queue-player-es", docs="briefings-queue-player.png")

    page.click("form.langswitch button[value=en]")
    assert "Your weekly brief" in page.locator("#brief-player h2").inner_text()
    shoot(page, "briefings-queue-player-en")
