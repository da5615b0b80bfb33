"""The spoken brief: its items follow the queue, its audio is a real Ogg Opus file about as
long as its transcript, only its owner can fetch it, and without eSpeak NG the page still
shows the transcript."""

import datetime as dt
import shutil

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from briefings import services, synth
from briefings.models import Brief
from crm.models import Alert

from ..e2e.world import PASSWORD

HAS_AUDIO = bool(shutil.which("espeak-ng") and shutil.which("opusenc"))
needs_audio = pytest.mark.skipif(not HAS_AUDIO, reason="espeak-ng/opusenc missing (make browser)")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_brief_names_the_reps_top_items_in_queue_order(world):
    text, ids, language = services.transcript_for(world.ana, timezone.localdate())
    assert language == "en"
    assert ids == [world.alerts[n].pk for n in ("churn", "technical", "stopped")]
    churn = text.index("First: Clínica Dental Sonrisa")
    tech = text.index("Second: Centro Odontológico Norte")
    stopped = text.index("Third: Dentalia Retiro")
    assert churn < tech < stopped
    assert "Possible partial churn, Anaesthesia cartridges." in text
    assert "About one thousand eight hundred euros at stake." in text  # 1,840 €
    # the evidence the kind says aloud: 71 days since the last purchase, a 39-day median gap
    assert "Units bought in the window: eighteen. Units expected in the window: sixty." in text
    assert "Days since last purchase: two months. Median gap (days): six weeks." in text
    assert "Clínica Bahía" not in text  # Ben's client


def test_the_brief_is_in_the_reps_language(world):
    world.ana.language = "es"
    world.ana.save()
    text, _ids, language = services.transcript_for(world.ana, timezone.localdate())
    assert language == "es"
    assert text.startswith("Hola, Ana. Tu resumen de la semana: tienes tres avisos en la cola.")
    assert "Primero: Clínica Dental Sonrisa. Pérdida parcial" in text or "Primero: Clínica" in text
    assert "Unos mil ochocientos euros en juego." in text
    assert "Días desde la última compra: unos dos meses." in text, text


def test_an_alert_back_from_snooze_leads_the_brief(world):
    stopped = world.alerts["stopped"]
    stopped.status = Alert.Status.SNOOZED
    stopped.snoozed_until = timezone.localdate() - dt.timedelta(days=1)
    stopped.save()
    text, ids, _ = services.transcript_for(world.ana, timezone.localdate())
    assert ids[0] == stopped.pk
    assert text.index("First: Dentalia Retiro") < text.index("Back from snooze.")


def test_top_n_limits_the_items_and_says_how_many_wait(db):
    from tests.e2e.world import make_world

    w = make_world(extra_alerts=8)
    text, ids, _ = services.transcript_for(w.ana, timezone.localdate(), n=5)
    assert len(ids) == 5
    assert "eleven alerts in your queue; here are the top five." in text
    assert "Fifth:" in text and "Sixth:" not in text


@needs_audio
def test_the_audio_is_ogg_opus_about_as_long_as_the_transcript(world):
    brief = services.build_brief(world.ana)
    path = services.audio_path(brief)
    data = path.read_bytes()
    assert data[:4] == b"OggS" and b"OpusHead" in data[:200]
    seconds = synth.ogg_opus_seconds(data)
    words = len(brief.transcript.split())
    # normal speech, pauses included: 100 to 200 words a minute
    assert words / 200 * 60 <= seconds <= words / 100 * 60
    assert brief.audio_seconds == pytest.approx(seconds)


@needs_audio
def test_the_audio_is_served_to_its_owner_only(world, client):
    brief = services.build_brief(world.ana)
    url = reverse("briefings:audio", args=[brief.pk])
    response = login(client, world.ana).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/ogg"
    whole = b"".join(response.streaming_content)
    assert whole[:4] == b"OggS"
    tail = client.get(url, headers={"range": "bytes=-100"})  # how a player finds the length
    assert tail.status_code == 206 and tail.content == whole[-100:]
    assert tail["Content-Range"] == f"bytes {len(whole) - 100}-{len(whole) - 1}/{len(whole)}"
    for other in (world.ben, world.manager):
        client.logout()
        assert login(client, other).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_without_espeak_the_queue_shows_the_transcript_and_says_audio_is_unavailable(
    world, client, settings
):
    settings.BRIEFINGS_ESPEAK = "/nonexistent/espeak-ng"
    brief = services.build_brief(world.ana)
    assert not brief.has_audio and "not installed" in brief.audio_error
    page = login(client, world.ana).get(reverse("web:queue")).content.decode()
    assert "Your weekly brief" in page
    assert "Audio unavailable: the speech synthesiser is not installed" in page
    assert "First: Clínica Dental Sonrisa" in page
    assert "<audio" not in page
    url = reverse("briefings:audio", args=[brief.pk])
    assert client.get(url).status_code == 404


@needs_audio
def test_the_queue_page_plays_the_latest_brief(world, client):
    brief = services.build_brief(world.ana)
    page = login(client, world.ana).get(reverse("web:queue")).content.decode()
    assert f'src="{reverse("briefings:audio", args=[brief.pk])}"' in page
    assert "First: Clínica Dental Sonrisa" in page


def test_the_button_prepares_a_brief_now(world, client, settings):
    settings.BRIEFINGS_ESPEAK = "/nonexistent/espeak-ng"
    login(client, world.ben)
    page = client.get(reverse("web:queue")).content.decode()
    assert "No brief yet" in page
    response = client.post(reverse("briefings:new_brief"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "First: Clínica Bahía" in response.content.decode()
    assert Brief.objects.filter(user=world.ben).count() == 1


def test_the_monday_task_briefs_every_rep_and_keeps_the_last_four(world, settings):
    from briefings import tasks

    settings.BRIEFINGS_ESPEAK = "/nonexistent/espeak-ng"
    for _ in range(5):
        assert tasks.weekly_briefs.delay().get() == {"queued": 3}
    assert set(Brief.objects.values_list("user__username", flat=True)) == {"ana", "ben", "carla"}
    assert Brief.objects.filter(user=world.ana).count() == services.KEEP_BRIEFS


@needs_audio
def test_bench_brief_prints_the_synthesis_time(world, capsys):
    call_command("bench_brief", "--user", "ana", "--repeat", "1")
    out = capsys.readouterr().out
    assert "synthesis s (median)" in out
    assert "| es | 3 |" in out and "| en | 3 |" in out  # Ana's three alerts, both languages
    assert "the 5 s target" in out
