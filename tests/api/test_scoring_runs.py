"""Scoring runs: managers follow them, admins start them."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from twins.models import ScoringRun

URL = "/api/v1/scoring-runs/"


def test_reps_do_not_follow_runs(world, api_as):
    assert api_as(world.ana).get(URL).status_code == 403


def test_managers_read_runs_newest_first(world, api_as):
    old = ScoringRun.objects.create(as_of=dt.date(2026, 11, 2), status="succeeded")
    new = ScoringRun.objects.create(as_of=dt.date(2026, 11, 9), status="failed", error="boom")
    manager = api_as(world.manager)
    rows = manager.get(URL).json()["results"]
    assert [(r["id"], r["status"]) for r in rows] == [(new.pk, "failed"), (old.pk, "succeeded")]
    assert manager.get(URL, {"status": "failed"}).json()["results"][0]["error"] == "boom"
    assert manager.get(f"{URL}{old.pk}/").json()["as_of"] == "2026-11-02"


def test_admin_starts_a_run_and_follows_it(world, api_as):
    admin = api_as(world.admin)
    as_of = timezone.localdate() - dt.timedelta(days=7)
    response = admin.post(URL, {"as_of": str(as_of)}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    run = ScoringRun.objects.get(pk=body["id"])
    assert run.as_of == as_of
    followed = admin.get(f"{URL}{run.pk}/").json()
    assert followed["status"] == run.status
    if settings.CELERY_TASK_ALWAYS_EAGER:  # the tasks ran in-process: the run is over
        assert run.status == "succeeded"
        assert run.shards_done == run.shards_total >= 1
    else:
        assert run.status in {"running", "publishing", "succeeded"}


def test_second_run_while_one_is_active_is_409(world, api_as):
    active = ScoringRun.objects.create(
        as_of=dt.date(2026, 11, 9),
        status="running",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    response = api_as(world.admin).post(URL, {}, format="json")
    assert response.status_code == 409
    assert response.json()["status"] == "superseded"
    assert f"#{active.pk}" in response.json()["error"]


def test_as_of_must_be_a_past_date(world, api_as):
    admin = api_as(world.admin)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for value in [str(tomorrow), "1999-12-31", "last week"]:
        response = admin.post(URL, {"as_of": value}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["as_of"]
    assert not ScoringRun.objects.exists()


def test_only_admins_start_runs(world, api_as):
    assert api_as(world.manager).post(URL, {}, format="json").status_code == 403
    assert api_as(world.ana).post(URL, {}, format="json").status_code == 403
    assert not ScoringRun.objects.exists()
