"""/api/v1/opportunities/ and /api/v1/stages/: read-only, scoped like the pages."""

import datetime as dt

from rest_framework.test import APIClient

from deals import selectors
from deals.models import DealRun, DealScore, Opportunity, StageChange


def make_deals(team):
    stages = {s.code: s for s in selectors.stages()}
    made = {}
    for who in ("ana", "ben", "carla"):
        deal = Opportunity.objects.create(
            external_id=f"OP-{who}",
            client=team["clients"][who],
            owner=team[who],
            amount="1500.00",
            stage=stages["proposal"],
            created_date=dt.date(2026, 10, 1),
            segment="Retail",
        )
        StageChange.objects.create(
            opportunity=deal, stage=stages["prospecting"], date=dt.date(2026, 10, 1)
        )
        StageChange.objects.create(
            opportunity=deal,
            stage=stages["proposal"],
            date=dt.date(2026, 10, 9),
            changed_by=team[who],
        )
        made[who] = deal
    run = DealRun.objects.create(as_of=dt.date(2026, 11, 1), status="succeeded")
    DealScore.objects.create(
        opportunity=made["ana"],
        run=run,
        as_of=run.as_of,
        p_loss=0.7,
        at_stake="1050.00",
        drivers=[{"code": "lead_source", "value": "partner"}],
    )
    return made


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_reps_and_managers_see_their_deals_with_history_and_score(team):
    deals = make_deals(team)
    body = api(team["ana"]).get("/api/v1/opportunities/").json()
    assert [d["external_id"] for d in body["results"]] == ["OP-ana"]
    ana = body["results"][0]
    assert ana["client"] == "C-ana" and ana["owner"] == "ana" and ana["amount"] == "1500.00"
    assert [c["stage"] for c in ana["stage_changes"]] == ["prospecting", "proposal"]
    assert ana["p_loss"] == 0.7 and ana["drivers"][0]["value"] == "partner"
    team_ids = {
        d["external_id"] for d in api(team["boss"]).get("/api/v1/opportunities/").json()["results"]
    }
    assert team_ids == {"OP-ana", "OP-ben"}
    hidden = api(team["ana"]).get(f"/api/v1/opportunities/{deals['carla'].pk}/")
    assert hidden.status_code == 404
    filtered = api(team["boss"]).get("/api/v1/opportunities/?owner=ben").json()["results"]
    assert [d["external_id"] for d in filtered] == ["OP-ben"]


def test_stages_are_listed_in_order_and_writes_are_refused(team):
    body = api(team["ana"]).get("/api/v1/stages/").json()
    assert [s["code"] for s in body["results"]][:3] == ["prospecting", "qualification", "proposal"]
    response = api(team["boss"]).post("/api/v1/opportunities/", {"external_id": "X"}, format="json")
    assert response.status_code == 405
    assert APIClient().get("/api/v1/opportunities/").status_code == 401
