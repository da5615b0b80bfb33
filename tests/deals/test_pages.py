"""The pipeline page: figures scoped to what the user may see, htmx breakdown, both languages."""

import datetime as dt

import pytest
from django.urls import reverse

from deals import services
from deals.models import DealScore, Opportunity
from seeds.deals import seed_pipeline


@pytest.fixture
def scored(team):
    today = dt.date.today()
    seed_pipeline(n_deals=900, seed=9, end=today)
    services.score_pipeline(today)
    return team


def get(client, user, url, lang="en", **headers):
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang, **headers)


def test_manager_sees_win_rates_forecast_and_risky_deals_of_the_team(client, scored):
    response = get(client, scored["boss"], reverse("web:pipeline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Win rate" in html and "Forecast to" in html and "Riskiest open deals" in html
    assert "Naive sum of late-stage amounts" in html
    team_deals = Opportunity.objects.filter(owner__manager=scored["boss"], outcome="open")
    top = DealScore.objects.filter(opportunity__in=team_deals).order_by("-at_stake").first()
    assert top.opportunity.external_id in html
    others = DealScore.objects.filter(opportunity__owner=scored["carla"]).order_by("-at_stake")
    assert others.exists() and others.first().opportunity.external_id not in html
    assert response.context["has_signal"] is True
    months = response.context["months"]
    assert len(months) == 12 and months[-1]["month"] == dt.date.today().strftime("%Y-%m")
    team_closed = Opportunity.objects.filter(
        owner__manager=scored["boss"],
        outcome__in=["won", "lost"],
        closed_date__gte=dt.date.fromisoformat(months[0]["month"] + "-01"),
        closed_date__lte=dt.date.today(),
    )
    assert sum(m["won"] + m["lost"] for m in months) == team_closed.count()
    assert sum(m["won"] for m in months) == team_closed.filter(outcome="won").count()
    assert 'class="deal-chart monthly"' in html and "Quality and efficiency by segment" in html
    segments = {r["segment"] for r in response.context["pqs_by_segment"]}
    assert "Retail" in segments
    assert any(s.drivers_text for s in response.context["risky"])


def test_the_breakdown_switches_by_htmx_and_small_segments_say_too_few(client, scored):
    url = reverse("web:pipeline") + "?by=owner"
    response = get(client, scored["ana"], url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<section id="win-rates"') and "<html" not in html
    rows = response.context["table"]["rows"]
    assert [r["segment"] for r in rows] == ["ana"]  # a rep sees only their own deals
    response = get(client, scored["ana"], reverse("web:pipeline") + "?by=size")
    small = [r for r in response.context["table"]["rows"] if r["n"] < 15]
    assert all(r["too_few"] and r["rate"] is None for r in small)
    if small:
        assert "too few deals" in response.content.decode()


def test_the_page_speaks_spanish_by_default(client, scored):
    response = get(client, scored["boss"], reverse("web:pipeline"), lang="es")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="es"' in html and "Tasa de éxito" in html and "Previsión hasta el" in html
    assert "Oportunidades abiertas con más riesgo" in html and "Win rate" not in html


def test_login_required(client, db):
    response = client.get(reverse("web:pipeline"))
    assert response.status_code == 302
