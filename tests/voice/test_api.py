"""/api/v1/surveys/: admins upload through the importer; everyone reads what they may see."""

import pytest
from rest_framework.test import APIClient

from voice.models import SurveyResponse


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_admin_uploads_rows_and_bad_ones_come_back(team):
    rows = [
        {
            "response_id": "A-1",
            "client": "C001",
            "date": "2026-10-01",
            "nps": 9,
            "would_recommend": True,
            "comment": "Excelente servicio",
        },
        {"response_id": "A-2", "client": "C001", "date": "2026-10-01", "nps": 11, "comment": "x"},
        {"response_id": "A-3", "client": "ZZZ", "date": "2026-10-01", "nps": 5, "comment": "y"},
        {
            "response_id": "A-4",
            "client": "C003",
            "date": "2026-10-01",
            "nps": 2,
            "comment": {"not": "text"},
        },
    ]
    response = client_for(team["admin"]).post("/api/v1/surveys/", {"rows": rows}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["imported"] == 2 and body["rejected"] == 2
    assert {"row": 2, "field": "nps", "message": "'11' is not between 0 and 10."} in body["errors"]
    assert any(e["row"] == 3 and e["field"] == "client" for e in body["errors"])
    assert any(w["row"] == 4 and "not text" in w["message"] for w in body["warnings"])
    assert SurveyResponse.objects.get(response_id="A-1").would_recommend is True
    again = client_for(team["admin"]).post("/api/v1/surveys/", {"rows": rows[:1]}, format="json")
    assert again.status_code == 200 and again.json()["skipped"] == 1


def test_reps_cannot_upload_and_see_only_their_clients(team):
    response = client_for(team["ana"]).post("/api/v1/surveys/", {"rows": []}, format="json")
    assert response.status_code == 403
    for code, rid in (("C001", "X-1"), ("C003", "X-3")):
        SurveyResponse.objects.create(
            response_id=rid,
            client=team["clients"][code],
            date="2026-10-01",
            nps=3,
            comment="Llegó tarde",
        )
    listed = client_for(team["ana"]).get("/api/v1/surveys/").json()["results"]
    assert [r["response_id"] for r in listed] == ["X-1"]
    assert client_for(team["boss"]).get("/api/v1/surveys/").json()["results"]


@pytest.mark.parametrize("body", [{"rows": "nope"}, {"rows": [1, 2]}, {}])
def test_malformed_bodies_are_400(team, body):
    response = client_for(team["admin"]).post("/api/v1/surveys/", body, format="json")
    assert response.status_code == 400
