"""The daily deal scoring through a real Celery worker on PostgreSQL and Redis (CI=true only)."""

import os
from datetime import date

import pytest

from crm.models import Alert, Client, User
from deals import alert_kinds, tasks
from deals.models import DealRun, DealScore, Opportunity
from seeds.deals import seed_pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("CI", "").lower() != "true",
        reason="integration: needs CI=true with DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)",
    ),
]

AS_OF = date(2026, 11, 29)


def test_deal_scoring_through_the_worker_publishes_once_and_refreshes(workers):
    boss = User.objects.create_user("boss-it", password="x", role="manager")
    reps = [
        User.objects.create_user(f"rep-it{i}", password="x", role="rep", manager=boss)
        for i in range(3)
    ]
    Client.objects.bulk_create(Client(code=f"D{i:03d}", rep=reps[i % 3]) for i in range(60))
    seed_pipeline(n_deals=900, seed=3, end=AS_OF)
    worker = workers(concurrency=1)

    first = tasks.score_pipeline.delay(AS_OF.isoformat()).get(timeout=180)
    run = DealRun.objects.get(pk=first["run"])
    assert run.status == DealRun.Status.SUCCEEDED, (run.error, worker.output())
    assert run.deals_scored == Opportunity.objects.filter(outcome="open").count() > 0
    assert DealScore.objects.filter(run=run).count() == run.deals_scored
    # Deal alerts to the reps, and any pipeline alert to their manager.
    every_kind = alert_kinds.CODES + alert_kinds.PIPELINE_CODES
    alerts = Alert.objects.filter(kind__in=every_kind, status="open")
    assert alerts.count() == run.alerts_created > 0
    assert alerts.filter(kind__in=alert_kinds.CODES).exists()

    second = tasks.score_pipeline.delay(AS_OF.isoformat()).get(timeout=180)
    again = DealRun.objects.get(pk=second["run"])
    assert (again.alerts_created, again.alerts_updated) == (0, run.alerts_created)
    assert Alert.objects.filter(kind__in=every_kind).count() == run.alerts_created
