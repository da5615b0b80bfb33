"""The refit's value forecast: twins summed per client, the fallback, the calibration on the
refit's own forecasts of a quarter ago, room to grow; the page and the API show it."""

import datetime as dt
import math

import pytest
from django.urls import reverse

from insights import services
from insights.models import InsightsRun, ValueForecast
from insights.stats import value as V

from .conftest import AS_OF
from .world import publish_twins, weekly_value


def twins_for(world, as_of, units=8.0, price=None, clients=None):
    publish_twins(world, as_of, units, price, clients)


def test_without_twins_the_forecast_is_last_quarter(world):
    run = services.refit(AS_OF)
    assert run.model_info["value_forecast"]["last_quarter"] == 31
    stopped, steady = world["clients"][0], world["clients"][5]
    f = ValueForecast.objects.get(client=steady, as_of=AS_OF)
    assert f.method == "last_quarter"
    assert float(f.expected) == 13 * weekly_value(steady)  # 13 weekly orders
    assert f.low <= f.expected <= f.high
    # Stopped eight weeks ago: five orders in the last 13 weeks.
    assert float(ValueForecast.objects.get(client=stopped).expected) == 5 * weekly_value(stopped)


def test_twins_forecasts_are_summed_scaled_to_13_weeks_with_the_default_interval(world):
    twins_for(world, AS_OF, units=26.0, price=10.0, clients=world["clients"][:10])
    run = services.refit(AS_OF)
    info = run.model_info["value_forecast"]
    assert (info["twins"], info["last_quarter"]) == (10, 21)
    assert info["calibrated_on"] == "benchmark"
    f = ValueForecast.objects.get(client=world["clients"][4])
    assert f.method == "twins"
    assert float(f.expected) == pytest.approx(26 * 10 * 13 / 8, abs=0.01)
    lo, hi = V.DEFAULT_TWINS_Q
    assert float(f.low) == pytest.approx(math.expm1(math.log1p(422.5) + lo), abs=0.01)
    assert float(f.high) == pytest.approx(math.expm1(math.log1p(422.5) + hi), abs=0.01)


def test_a_twins_forecast_that_was_right_a_quarter_ago_gets_a_narrow_interval(world):
    before = AS_OF - dt.timedelta(days=91)
    twins_for(world, before)
    services.refit(before)
    twins_for(world, AS_OF)
    run = services.refit(AS_OF)
    info = run.model_info["value_forecast"]
    assert info["calibrated_on"] == str(before)
    assert info["calibration_clients"] == 31
    f = ValueForecast.objects.get(client=world["clients"][7], as_of=AS_OF)
    width = float(f.high - f.low) / float(f.expected)
    default = math.expm1(V.DEFAULT_TWINS_Q[1]) - math.expm1(V.DEFAULT_TWINS_Q[0])
    assert width < default / 3
    # Both days are kept (the older one calibrates the next refits).
    assert set(ValueForecast.objects.values_list("as_of", flat=True)) == {before, AS_OF}


def test_room_to_grow_when_the_twins_expect_far_more_than_last_quarter(world):
    big = world["clients"][10]
    week = weekly_value(big)
    # 8 units at 3 weeks' spend over 8 weeks: 39 weeks' spend in 13, three times last quarter.
    twins_for(world, AS_OF, units=8.0, price=3 * week, clients=[big])
    services.refit(AS_OF)
    f = ValueForecast.objects.get(client=big)
    assert float(f.last_quarter) == 13 * week
    assert float(f.room_to_grow) == pytest.approx(39 * week - 13 * week, abs=0.01)
    assert ValueForecast.objects.filter(room_to_grow__gt=0).count() == 1
    assert InsightsRun.objects.first().model_info["value_forecast"]["room_to_grow"] == 1


@pytest.fixture
def forecasted(world):
    big = world["clients"][10]
    twins_for(world, AS_OF, units=8.0, price=3 * weekly_value(big), clients=[big])
    services.refit(AS_OF)
    return world


def test_client_page_shows_the_forecast_its_interval_and_room_to_grow(client, forecasted):
    c = forecasted["clients"][10]
    f = ValueForecast.objects.get(client=c)
    client.force_login(forecasted["boss"])
    html = client.get(reverse("web:client", args=[c.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert "Next 13 weeks" in html
    assert "80 % interval" in html
    assert "Room to grow" in html
    assert "Twins&#x27; per-family forecasts summed" in html
    assert f"€{round(f.low):,} to €{round(f.high):,}" in html
    forecasted["boss"].language = "es"
    forecasted["boss"].save()
    html = client.get(reverse("web:client", args=[c.pk])).content.decode()
    assert "Próximas 13 semanas" in html
    assert "Margen de crecimiento" in html


def test_api_lists_the_visible_clients_forecasts(client, forecasted):
    client.force_login(forecasted["ben"])
    rows = client.get("/api/v1/value-forecasts/").json()["results"]
    assert len(rows) == 15  # ben's clients only
    rows = client.get("/api/v1/value-forecasts/?room_to_grow=true").json()["results"]
    assert rows == []  # the client with room is ana's
    client.force_login(forecasted["ana"])
    rows = client.get("/api/v1/value-forecasts/?room_to_grow=true").json()["results"]
    assert [r["client"] for r in rows] == [forecasted["clients"][10].code]
    r = rows[0]
    assert r["method"] == "twins"
    assert float(r["low"]) <= float(r["expected"]) <= float(r["high"])
    assert float(r["room_to_grow"]) > 0
    one = client.get("/api/v1/value-forecasts/?client=C005").json()["results"]
    assert len(one) == 1 and one[0]["method"] == "last_quarter"
