"""Territory ranking through the ORM: figures stored by the refit, scored with the admin's
weights when read, shown to managers on the Insights page and in the API.

The world (expected numbers worked out by hand):

- Norte (rep ana, manager boss): client 1 in Asturias buys 1,000 ten days before ``AS_OF``
  and 800 the year before (potential 1,000); client 2 in Cantabria 500 and 500 (potential 400).
- Sur (rep carla, another manager): client 3 in Sevilla buys 250, nothing the year before,
  no potential stated.

Territories: Norte revenue 1,500 (100), 2 active clients (100), the only growth
(1,500 / 1,300 - 1 = +15.4 %, 50), 1,400 of 1,400 captured (100): 35 + 30 + 10 + 15 = 90,
Premium. Sur: revenue 250 / 1,500 = 16.7, 1 of 2 clients = 50, no growth nor potential:
(35 x 16.7 + 30 x 50) / 65 = 32.1, Underperforming.
Provinces: Asturias 100 (all best; growth +25 % is the best), Cantabria 17.5 + 30 + 0 + 15 =
62.5, Sevilla (35 x 25 + 30 x 100) / 65 = 59.6.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import (
    Client,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
    Territory,
    User,
)
from insights import services
from insights import territory as territories
from insights.models import TerritoryFigure, TerritoryWeights

AS_OF = dt.date(2026, 6, 28)


def build(password="pw"):
    boss = User.objects.create_user("boss", password=password, role=User.Role.MANAGER)
    other = User.objects.create_user("other", password=password, role=User.Role.MANAGER)
    admin = User.objects.create_user("root", password=password, role=User.Role.ADMIN)
    ana = User.objects.create_user("ana", password=password, role=User.Role.REP, manager=boss)
    carla = User.objects.create_user("carla", password=password, role=User.Role.REP, manager=other)
    norte = Territory.objects.create(code="NORTE", name="Norte")
    sur = Territory.objects.create(code="SUR", name="Sur")
    fam = ProductFamily.objects.create(code="ANES", name="Anestesia")
    prod = Product.objects.create(code="P1", family=fam)
    world = [
        ("C1", "Asturias", norte, ana, [(10, 1000), (400, 800)], 1000),
        ("C2", "Cantabria", norte, ana, [(20, 500), (380, 500)], 400),
        ("C3", "Sevilla", sur, carla, [(30, 250)], None),
    ]
    for code, province, terr, rep, sales, potential in world:
        c = Client.objects.create(code=code, name=code, province=province, territory=terr, rep=rep)
        for n, (days_ago, value) in enumerate(sales):
            day = AS_OF - dt.timedelta(days=days_ago)
            o = Order.objects.create(invoice_number=f"{code}-{n}", date=day, client=c)
            OrderLine.objects.create(
                order=o,
                line_number=1,
                product=prod,
                units=Decimal(1),
                net_value=Decimal(value),
                date=day,
                client=c,
                family=fam,
            )
        if potential:
            Potential.objects.create(client=c, family=fam, annual_potential=Decimal(potential))
    return {"boss": boss, "other": other, "admin": admin, "ana": ana}


@pytest.fixture
def world(db):
    w = build()
    figures = territories.unit_figures(services.read_lines(AS_OF), AS_OF)
    territories.publish(None, figures)
    return w


def by_unit(rows):
    return {r["unit"]: r for r in rows}


def test_stored_figures_and_scores_by_hand(world):
    # Four quarter ends per unit: 2 territories and 3 provinces.
    assert TerritoryFigure.objects.filter(level="territory").count() == 8
    assert TerritoryFigure.objects.filter(level="province").count() == 12
    terr = territories.ranking("territory")
    assert terr["as_of"] == AS_OF
    rows = by_unit(terr["rows"])
    assert rows["NORTE"]["name"] == "Norte"
    assert rows["NORTE"]["revenue"] == pytest.approx(1500)
    assert rows["NORTE"]["growth_rate"] == pytest.approx(1500 / 1300 - 1)
    assert rows["NORTE"]["share_captured"] == pytest.approx(1.0)
    assert rows["NORTE"]["score"] == pytest.approx(90)
    assert rows["NORTE"]["tier"] == "premium" and rows["NORTE"]["rank"] == 1
    assert rows["SUR"]["score"] == pytest.approx((35 * 250 / 15 + 30 * 50) / 65)
    assert rows["SUR"]["growth_score"] is None and rows["SUR"]["potential_score"] is None
    assert rows["SUR"]["tier"] == "underperforming" and rows["SUR"]["rank"] == 2
    assert len(rows["NORTE"]["trend"]) == 4 and rows["NORTE"]["trend"][-1] == pytest.approx(90)
    prov = by_unit(territories.ranking("province")["rows"])
    assert prov["Asturias"]["score"] == pytest.approx(100)
    assert prov["Cantabria"]["score"] == pytest.approx(62.5)
    assert prov["Sevilla"]["score"] == pytest.approx((35 * 25 + 30 * 100) / 65)
    assert [prov[p]["rank"] for p in ("Asturias", "Cantabria", "Sevilla")] == [1, 2, 3]


def test_a_manager_sees_the_team_units_with_the_company_wide_rank(world):
    mine = territories.ranking("province", Client.objects.filter(rep__manager=world["boss"]))
    assert [r["unit"] for r in mine["rows"]] == ["Asturias", "Cantabria"]
    theirs = territories.ranking("province", Client.objects.filter(rep__manager=world["other"]))
    assert [(r["unit"], r["rank"]) for r in theirs["rows"]] == [("Sevilla", 3)]


def test_edited_weights_and_bounds_apply_without_a_refit(world):
    w = TerritoryWeights.load()
    w.revenue = w.growth = w.potential = 0
    w.active_clients = 1
    w.underperforming_below = 30
    w.save()
    rows = by_unit(territories.ranking("territory")["rows"])
    # Only active clients: Norte 2 (100), Sur 1 (50) -> Standard with the lower bound at 30.
    assert rows["SUR"]["score"] == pytest.approx(50)
    assert rows["SUR"]["tier"] == "standard"


def test_the_admin_refuses_all_zero_weights_and_crossed_bounds(db):
    w = TerritoryWeights.load()
    assert (w.revenue, w.active_clients, w.growth, w.potential) == (35, 30, 20, 15)
    w.revenue = w.active_clients = w.growth = w.potential = 0
    with pytest.raises(ValidationError):
        w.full_clean()
    w = TerritoryWeights.load()
    w.revenue = -5
    with pytest.raises(ValidationError):
        w.full_clean()
    w = TerritoryWeights.load()
    w.underperforming_below, w.premium_above = 80, 60
    with pytest.raises(ValidationError):
        w.full_clean()


def test_admin_page_edits_the_weights(client, world):
    client.force_login(User.objects.create_superuser("su", password="pw", language="en"))
    url = reverse("admin:insights_territoryweights_change", args=[1])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revenue 35%" in html  # the effective shares
    form = {
        "revenue": "7",
        "active_clients": "6",
        "growth": "4",
        "potential": "3",
        "premium_above": "75",
        "underperforming_below": "40",
    }
    assert client.post(url, form).status_code == 302
    assert TerritoryWeights.load().premium_above == 75
    zero = {"revenue": "0", "active_clients": "0", "growth": "0", "potential": "0"}
    bad = client.post(url, {**form, **zero}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "At least one weight" in bad.content.decode()


def test_refit_stores_the_figures(world):
    TerritoryFigure.objects.all().delete()
    run = services.refit(AS_OF)
    assert TerritoryFigure.objects.filter(run=run, as_of=AS_OF).count() == 5
    assert "territories" in run.timings


def test_insights_page_shows_the_team_ranking_and_province_chart(client, world):
    client.force_login(world["boss"])
    html = client.get(reverse("web:insights"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="territories"' in html and 'id="provinces"' in html
    assert "Norte" in html and "Premium" in html
    assert "Sur" not in html and "Sevilla" not in html  # another manager's units
    assert "35 % revenue" in html.replace("\xa0", " ")
    assert html.count('data-tier="premium"') == 1  # Asturias' bar
    assert html.count('data-tier="standard"') == 1  # Cantabria's bar


def test_insights_page_in_spanish(client, world):
    world["other"].language = "es"
    world["other"].save()
    client.force_login(world["other"])
    html = client.get(reverse("web:insights"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Ranking de territorios" in html
    assert "Bajo rendimiento" in html  # Sur's tier
    assert "Sevilla" in html and "Asturias" not in html


def test_api_territory_scores(client, world):
    client.force_login(world["boss"])
    r = client.get("/api/v1/territory-scores/").json()
    assert r["as_of"] == AS_OF.isoformat() and len(r["dates"]) == 4
    assert r["weights"]["revenue"] == pytest.approx(0.35)
    assert [(x["unit"], x["tier"]) for x in r["results"]] == [("NORTE", "premium")]
    assert r["results"][0]["score"] == pytest.approx(90)
    client.force_login(world["admin"])
    prov = client.get("/api/v1/territory-scores/?level=province").json()["results"]
    assert [x["unit"] for x in prov] == ["Asturias", "Cantabria", "Sevilla"]
    assert client.get("/api/v1/territory-scores/?level=planet").status_code == 400
    client.force_login(world["ana"])
    assert client.get("/api/v1/territory-scores/").status_code == 403
