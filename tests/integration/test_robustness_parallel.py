"""Parallel answers, parallel uploads, a dropped connection and Redis, on PostgreSQL and Redis
(CI=true only): the races the robustness suite cannot run on SQLite."""

import os
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from crm.models import Feedback, OrderLine
from recommender.models import RewardEvent
from tests.api.conftest import build_world, token_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("CI", "").lower() != "true",
        reason="integration: needs CI=true with DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)",
    ),
]


@pytest.fixture
def world(transactional_db):
    from recommender.models import Action

    # An earlier transactional test's flush removed the rows the migrations planted.
    Action.objects.get_or_create(code="call", defaults={"name_es": "Llamada", "name_en": "Call"})
    return build_world()


def in_parallel(n, request):
    """Run ``request(i)`` in ``n`` threads released together; return the results in order."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def work(i):
        try:
            barrier.wait()
            results[i] = request(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    client.raise_request_exception = False
    return client


def test_twenty_parallel_i_will_act_make_one_decision_and_one_reward(world):
    url = f"/api/v1/alerts/{world.a_ana1.pk}/feedback/"
    clients = [api(world.ana) for _ in range(20)]
    codes = in_parallel(
        20,
        lambda i: (
            clients[i].post(url, {"verdict": "act", "action": "call"}, format="json").status_code
        ),
    )
    assert sorted(codes) == [201] + [409] * 19
    assert Feedback.objects.count() == 1
    assert RewardEvent.objects.filter(kind=RewardEvent.Kind.ENGAGED).count() == 1


def test_twenty_parallel_answers_with_one_key_make_one_row_and_one_status(world):
    url = f"/api/v1/alerts/{world.a_ana1.pk}/feedback/"
    clients = [api(world.ana) for _ in range(20)]
    body = {"verdict": "act", "action": "call", "idempotency_key": "same"}
    responses = in_parallel(20, lambda i: clients[i].post(url, body, format="json"))
    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert Feedback.objects.count() == 1


def test_ten_parallel_identical_uploads_store_each_line_once(world):
    rows = [
        {
            "invoice": f"F{i // 3}",
            "line": i % 3 + 1,
            "date": "2026-10-05",
            "client": "C-ANA-1",
            "product": "P-ANE-1",
            "units": "10",
            "net_value": "12.50",
        }
        for i in range(60)
    ]
    clients = [api(world.admin) for _ in range(10)]
    responses = in_parallel(
        10, lambda i: clients[i].post("/api/v1/orders/", {"rows": rows}, format="json")
    )
    assert [r.status_code for r in responses] == [200] * 10, [r.content[:200] for r in responses]
    assert OrderLine.objects.count() == 60
    assert sum(r.json()["imported"] for r in responses) == 60
    assert all(r.json()["imported"] + r.json()["skipped"] == 60 for r in responses)


def test_a_page_survives_its_connection_being_killed(world, client):
    client.force_login(world.ana)
    assert client.get("/").status_code == 200
    pid = connection.connection.info.backend_pid
    killer = connection.copy()  # another session terminates this one, as a restart would
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    killer.close()
    assert client.get("/").status_code == 200


def test_the_tolerant_cache_works_with_redis_up_and_degrades_when_down(settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        },
        "down": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
        },
    }
    up, down = caches["default"], caches["down"]
    up.set("robustness-key", [1, 2], 30)
    assert up.get("robustness-key") == [1, 2]
    up.delete("robustness-key")
    down.set("robustness-key", [1, 2], 30)
    assert down.get("robustness-key", "miss") == "miss"
