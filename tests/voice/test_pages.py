"""The client page's voice section and the manager's voice page."""

import datetime as dt

from django.test import Client as Browser

from crm.models import VisitNote
from voice import services
from voice.models import SurveyResponse

from .conftest import AS_OF


def login(user):
    page = Browser()
    page.force_login(user)
    return page


def test_client_page_shows_survey_history_trend_and_note_sentiment(team):
    client = team["clients"]["C001"]
    for i, (score, text) in enumerate(((9, "Todo perfecto"), (4, "Llegó tarde otra vez"))):
        SurveyResponse.objects.create(
            response_id=f"R{i}",
            client=client,
            date=AS_OF - dt.timedelta(days=60 - 30 * i),
            nps=score,
            overall=3,
            comment=text,
        )
    VisitNote.objects.create(
        client=client, author=team["ana"], text="Se quejan del precio, muy caro."
    )
    services.run(AS_OF)
    html = (
        login(team["ana"]).get(f"/clients/{client.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert 'id="voice"' in html and "Voice of the client" in html
    assert html.count('class="nps-dot') == 2 and "Llegó tarde otra vez" in html
    assert 'class="sent neg"' in html and "Se quejan del precio" in html
    spanish = (
        login(team["ana"]).get(f"/clients/{client.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
    assert "Voz del cliente" in spanish and "Respuestas a encuestas" in spanish


def test_client_without_surveys_says_so(team):
    client = team["clients"]["C002"]
    html = (
        login(team["ana"]).get(f"/clients/{client.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "This client has not answered any survey." in html


def test_manager_page_lists_detractors_until_someone_writes_a_note(team):
    client = team["clients"]["C002"]
    for i in range(6):
        SurveyResponse.objects.create(
            response_id=f"P{i}",
            client=team["clients"]["C003"],
            date=AS_OF - dt.timedelta(days=40),
            nps=10,
            comment="Excelente.",
        )
    SurveyResponse.objects.create(
        response_id="D1",
        client=client,
        date=AS_OF - dt.timedelta(days=5),
        nps=2,
        comment="Nos han subido los precios sin avisar. Muy caro.",
    )
    services.run(AS_OF)
    page = login(team["boss"])
    html = page.get("/voice/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Detractors not yet contacted" in html and "Clínica Dos" in html
    assert "«Muy caro.»" in html  # the most negative sentence is quoted
    assert 'id="voice-nps"' in html and "price" in html  # the theme column
    assert 'class="nps-bar' in html
    VisitNote.objects.create(client=client, author=team["ana"], text="Llamé: revisamos tarifas.")
    html = page.get("/voice/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Every detractor of the last 90 days has been contacted." in html
    spanish = page.get("/voice/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Voz del cliente" in spanish and "NPS a lo largo del tiempo" in spanish


def test_reps_do_not_get_the_manager_page(team):
    assert login(team["ana"]).get("/voice/").status_code == 404
    assert Browser().get("/voice/").status_code == 302
