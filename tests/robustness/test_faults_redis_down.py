"""Redis down: pages, answers and scoring-run starts keep working; nothing is a 500.

Redis is "down" by pointing the cache and the broker at a closed port, as an outage looks to
the application (connection refused).
"""

import pytest
from django.core.cache import cache

from crm.models import Feedback
from twins.models import ScoringRun

CLOSED = "redis://127.0.0.1:6390/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield


@pytest.fixture
def broker_down():
    """The Celery app publishing to a closed port instead of running tasks in-process."""
    from config.celery import app

    def fresh_connections():  # pools made by earlier tests point at the old broker
        app._pool = None
        app.amqp._producer_pool = None

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=CLOSED, task_always_eager=False)
    fresh_connections()
    yield app
    app.conf.update(saved)
    fresh_connections()


def test_the_cache_reads_as_a_miss_and_writes_do_nothing(redis_down):
    assert cache.get("anything", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False and cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("k")


def test_queue_page_works_without_redis(world, client, redis_down):
    client.force_login(world.ana)
    response = client.get("/", {"province": "Madrid"})
    assert response.status_code == 200
    assert "Clinic C-ANA-1" in response.content.decode()


def test_feedback_is_recorded_without_redis(world, api_as, client, actions, redis_down):
    api = api_as(world.ana)  # API writes are throttled through the cache
    response = api.post(
        f"/api/v1/alerts/{world.a_ana1.pk}/feedback/",
        {"verdict": "false_alarm", "reason": "Stock"},
        format="json",
    )
    assert response.status_code == 201
    client.force_login(world.ana)
    page = client.post(
        f"/alerts/{world.a_ana2.pk}/answer/",
        {"verdict": "act", "action": actions["visit"].pk, "key": "redis-down"},
    )
    assert page.status_code == 302
    assert Feedback.objects.count() == 2


def test_scoring_run_start_without_a_broker_is_saved_and_resumed_later(
    world, api_as, redis_down, broker_down, settings
):
    response = api_as(world.admin, "en").post("/api/v1/scoring-runs/", {}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert "cannot be reached" in body["notice"]
    run = ScoringRun.objects.get(pk=body["id"])
    assert run.status == ScoringRun.Status.RUNNING and run.shards_done == 0

    # The broker is back; the resume sweep (beat) queues the run's shards again.
    broker_down.conf.update(task_always_eager=True)
    settings.SCORING_RESUME_AFTER = 0
    from twins.tasks import resume_stalled_runs

    resumed = resume_stalled_runs.delay().get()
    assert [r["run"] for r in resumed["resumed"]] == [run.pk]
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.SUCCEEDED
