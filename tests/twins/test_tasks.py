"""Celery tasks (eager), schedules and the run-status widget."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.models import Alert
from twins import runs, tasks
from twins.models import ScoringRun

from . import test_scoring
from .test_scoring import AS_OF

world = test_scoring.world  # the fixture


@pytest.fixture(autouse=True)
def in_process_tasks():
    """Run tasks in-process even when REDIS_URL is set (CI); tests/integration uses a worker."""
    from config.celery import app

    saved = {k: app.conf[k] for k in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)


def test_start_task_fans_out_and_publishes(world):
    result = tasks.start_scoring_run.delay(as_of=AS_OF.isoformat(), shards=2).get()

    run = ScoringRun.objects.get(pk=result["run"])
    assert result["status"] == run.status == ScoringRun.Status.SUCCEEDED
    assert (run.shards_done, run.shards_total) == (2, 2)
    assert Alert.objects.get(status=Alert.Status.OPEN).client == world["churned"]


def test_scoring_tasks_ack_late_and_requeue_on_worker_loss():
    for task in (tasks.score_shard, tasks.publish_run):
        assert task.acks_late and task.reject_on_worker_lost
        assert OperationalError in task.autoretry_for


def test_shard_task_retries_a_transient_database_error(world, monkeypatch):
    run = runs.start_run(AS_OF, shards=1)
    real, calls = runs.score_shard, []

    def flaky(run_id, shard):
        calls.append(shard)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(run_id, shard)

    monkeypatch.setattr(runs.shard, "score_shard", flaky)
    tasks.score_shard.apply(args=(run.pk, 0), throw=False)

    run.refresh_from_db()
    assert calls == [0, 0] and run.shards_done == 1 and run.status == ScoringRun.Status.RUNNING


def test_failing_shard_task_marks_the_run_failed(world, monkeypatch):
    run = runs.start_run(AS_OF, shards=1)
    monkeypatch.setattr(runs.shard, "score_shard", lambda run_id, shard: 1 / 0)

    result = tasks.score_shard.apply(args=(run.pk, 0), throw=False)  # as a worker runs it

    assert isinstance(result.result, ZeroDivisionError)

    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED and "ZeroDivisionError" in run.error


def test_start_task_fails_the_run_when_a_shard_fails_in_process(world, monkeypatch):
    monkeypatch.setattr(runs.shard, "score_shard", lambda run_id, shard: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.start_scoring_run.delay(as_of=AS_OF.isoformat())
    assert ScoringRun.objects.get().status == ScoringRun.Status.FAILED


def test_start_task_reports_a_refused_run(world):
    active = runs.start_run(AS_OF)
    result = tasks.start_scoring_run.delay().get()
    assert result["status"] == ScoringRun.Status.SUPERSEDED
    assert f"run #{active.pk}" in result["error"]


def test_a_run_whose_shard_was_lost_is_resumed_and_published(world, settings):
    settings.SCORING_RESUME_AFTER, settings.SCORING_STALE_AFTER = 600, 1800
    run = runs.start_run(AS_OF, shards=2)  # its tasks were never queued: as if lost
    runs.score_shard(run.pk, 1)
    assert runs.stalled_runs() == [], "a run that moved recently is left alone"
    ScoringRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=700)
    )
    assert runs.stalled_runs() == [(run.pk, [0])]

    result = tasks.resume_stalled_runs.delay().get()

    run.refresh_from_db()
    assert result == {"resumed": [{"run": run.pk, "shards": [0]}]}
    assert run.status == ScoringRun.Status.SUCCEEDED and run.shards_done == 2
    assert Alert.objects.get(status=Alert.Status.OPEN).client == world["churned"]


def test_a_run_dead_for_too_long_is_failed_not_resumed(world, settings):
    settings.SCORING_RESUME_AFTER, settings.SCORING_STALE_AFTER = 600, 1800
    run = runs.start_run(AS_OF, shards=2)
    ScoringRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=1900)
    )

    assert tasks.resume_stalled_runs.delay().get() == {"resumed": []}

    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED and "No sign of life" in run.error
    assert not Alert.objects.exists()


def test_install_schedules_is_idempotent(db):
    call_command("install_schedules")
    nightly = PeriodicTask.objects.get(task="twins.tasks.start_scoring_run")
    nightly.crontab.hour = "4"
    nightly.crontab.save()

    call_command("install_schedules")

    # The twins' four, and those the engines register with crm.schedules: deals two,
    # briefings three, insights one, voice one, the propensity refit one.
    assert PeriodicTask.objects.count() == 12
    assert PeriodicTask.objects.filter(task="insights.tasks.refit_insights").exists()
    assert PeriodicTask.objects.filter(task="voice.tasks.run_voice").exists()
    assert PeriodicTask.objects.filter(task="briefings.tasks.weekly_briefs").exists()
    assert PeriodicTask.objects.filter(task="deals.tasks.score_pipeline").exists()
    assert PeriodicTask.objects.filter(task="deals.tasks.send_weekly_summaries").exists()
    assert PeriodicTask.objects.filter(task="recommender.tasks.harvest_outcomes").exists()
    assert PeriodicTask.objects.filter(task="twins.tasks.resume_stalled_runs").exists()
    assert PeriodicTask.objects.filter(task="recommender.tasks.fold_rewards").exists()
    nightly.refresh_from_db()
    assert nightly.crontab.hour == "4", "an admin's edit survives a re-install"
    call_command("install_schedules", "--reset")
    nightly.refresh_from_db()
    assert nightly.crontab.hour == "2" and PeriodicTask.objects.count() == 12


@pytest.fixture
def manager_client(client, make_user):
    client.force_login(make_user("boss", role="manager", language="en"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_status_widget_polls_while_the_run_is_active(world, manager_client):
    run = runs.start_run(AS_OF, shards=2)
    runs.score_shard(run.pk, 0)

    page = manager_client.get(reverse("web:run_status"), headers={"HX-Request": "true"})

    html = page.content.decode()
    assert page.status_code == 200 and "<html" not in html
    assert 'hx-trigger="every 2s"' in html and 'value="1"' in html and "1 of 2" in html


def test_status_widget_stops_polling_when_the_run_is_over(world, manager_client):
    run = runs.launch(AS_OF, inline=True)

    html = manager_client.get(reverse("web:run_status")).content.decode()

    assert f"#{run.pk}" in html and "every 2s" not in html and "<html" in html
    assert "1 new alerts" in html


def test_status_widget_shows_why_a_run_failed(world, manager_client, settings):
    run = runs.start_run(AS_OF)
    ScoringRun.objects.filter(pk=run.pk).update(
        heartbeat_at=run.heartbeat_at - timedelta(seconds=settings.SCORING_STALE_AFTER + 5)
    )
    runs.reap_stale_runs()

    html = manager_client.get(reverse("web:run_status")).content.decode()
    assert "No sign of life" in html and "every 2s" not in html


def test_status_widget_is_for_managers(world, client):
    client.force_login(world["rep"])
    assert client.get(reverse("web:run_status")).status_code == 403
