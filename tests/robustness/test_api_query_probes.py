"""Hostile query strings, path ids and text: a 4xx or an empty answer, never a 500.

The NUL cases matter on PostgreSQL (which refuses NUL in text; CI runs this suite there).
"""

import pytest

HUGE = "9" * 27

PROBES = [
    "/api/v1/clients/?province=a%00b",
    "/api/v1/clients/?search=%00",
    "/api/v1/orders/?invoice=%00",
    "/api/v1/alerts/?search=x%00",
    "/api/v1/alerts/?family=%00",
    "/api/v1/products/?search=%00",
    "/api/v1/twins/?client=%00",
    f"/api/v1/alerts/{HUGE}/",
    f"/api/v1/clients/{HUGE}/",
    f"/api/v1/orders/?page_size={HUGE}",
    "/api/v1/orders/?date_from=99999-01-01",
    "/api/v1/clients/?cursor=%00",
]
PAGES = [
    "/?q=a%00b",
    "/?province=%00",
    f"/?family={HUGE}",
    f"/?rep={HUGE}",
    f"/?page={HUGE}",
    f"/alerts/{HUGE}/",
    f"/clients/{HUGE}/",
]


@pytest.mark.parametrize("url", PROBES)
def test_api_queries_never_answer_500(world, api_as, url):
    client = api_as(world.admin)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("url", PAGES)
def test_page_queries_never_answer_500(world, client, url):
    client.raise_request_exception = False
    client.force_login(world.manager)
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("field", ["comment", "reason", "idempotency_key"])
def test_nul_in_answer_text_is_a_400_naming_the_field(world, api_as, field):
    body = {"verdict": "false_alarm", "reason": "x", field: "a\x00b"}
    response = api_as(world.ana).post(
        f"/api/v1/alerts/{world.a_ana1.pk}/feedback/", body, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == [field]


def test_nul_in_a_visit_note_is_refused(world, client):
    client.force_login(world.ana)
    response = client.post(f"/clients/{world.ana1.pk}/notes/", {"text": "a\x00b"})
    assert response.status_code == 400
