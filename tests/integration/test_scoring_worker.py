"""Scoring through a real Celery worker on PostgreSQL and Redis (CI=true only)."""

import os
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Alert, Client, Order, OrderLine, Product, ProductFamily, User
from crm.selectors import alerts_visible_to
from twins import runs, tasks
from twins.models import ScoringRun, TwinState

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("CI", "").lower() != "true",
        reason="integration: needs CI=true with DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)",
    ),
]

AS_OF = date(2026, 11, 15)  # a Sunday
WEEKS = 104
CHURN_KINDS = {"partial_churn", "full_churn"}


def plant(n_clients, churn_every=5):
    """Clients buying 10 units of one family every week; every ``churn_every``-th client stops
    six weeks before AS_OF. Orders run two weeks past AS_OF for the later runs."""
    rep = User.objects.create_user("rep-it", password="x", role="rep")
    family = ProductFamily.objects.create(code="ANES", name="Anaesthesia")
    product = Product.objects.create(code="ANES-1", family=family, list_price=Decimal("20"))
    clients = Client.objects.bulk_create(
        Client(code=f"C{i:04d}", rep=rep) for i in range(n_clients)
    )
    churned = {c.pk for i, c in enumerate(clients) if i % churn_every == 0}
    first_tuesday = AS_OF - timedelta(weeks=WEEKS, days=5)
    orders = []
    for client in clients:
        stop = WEEKS - 6 if client.pk in churned else WEEKS + 2
        for w in range(stop):
            day = first_tuesday + timedelta(weeks=w)
            orders.append(Order(invoice_number=f"{client.code}-{w}", date=day, client=client))
    orders = Order.objects.bulk_create(orders, batch_size=5000)
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=o,
                line_number=1,
                product=product,
                units=Decimal(10),
                net_value=Decimal(200),
                date=o.date,
                client_id=o.client_id,
                family=family,
            )
            for o in orders
        ),
        batch_size=5000,
    )
    return rep, churned


def wait_for(run_id, done, timeout=120, poll=0.02, workers=(), tick=None, every=2.0):
    """The run once ``done(run)``, calling ``tick()`` every ``every`` seconds meanwhile (as beat
    would); on timeout the failure shows the workers' last log lines."""
    deadline = time.monotonic() + timeout
    next_tick = time.monotonic() + every
    while time.monotonic() < deadline:
        run = ScoringRun.objects.get(pk=run_id)
        if done(run):
            return run
        if tick and time.monotonic() >= next_tick:
            tick()
            next_tick = time.monotonic() + every
        time.sleep(poll)
    logs = "".join(f"\n--- {w.name}\n{w.output()}" for w in workers)
    raise AssertionError(
        f"run {run_id} still {run.status} ({run.shards_done}/{run.shards_total}){logs}"
    )


def start(as_of, shards):
    """Queue a run the way beat does; return its id once the worker has created it."""
    before = set(ScoringRun.objects.values_list("pk", flat=True))
    tasks.start_scoring_run.delay(as_of=as_of.isoformat(), shards=shards)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = ScoringRun.objects.exclude(pk__in=before).values_list("pk", flat=True)
        if new:
            return new[0]
        time.sleep(0.02)
    raise AssertionError("the worker never started the run")


def finished(run):
    return not run.is_active


def live(rep):
    return alerts_visible_to(rep).filter(status__in=Alert.LIVE_STATUSES)


def test_full_scoring_through_the_worker_creates_the_expected_alerts(workers):
    rep, churned = plant(40)
    worker = workers(concurrency=2, SCORING_HISTORY_WEEKS=WEEKS)

    run = wait_for(start(AS_OF, shards=4), finished)

    assert run.status == ScoringRun.Status.SUCCEEDED, (run.error, worker.output())
    assert (run.shards_done, run.shards_total, run.pairs) == (4, 4, 40)
    alerts = list(live(rep))
    assert {a.client_id for a in alerts if a.kind in CHURN_KINDS} == churned
    assert all(a.client_id in churned for a in alerts), "no alert on a steady client"
    assert all(a.priority > 0 and a.scoring_run_id == run.pk for a in alerts)
    assert TwinState.objects.filter(scoring_run=run, as_of=AS_OF).count() == 40


def test_killed_worker_leaves_previous_results_and_a_later_run_completes(workers, settings):
    rep, churned = plant(300)
    first = workers(concurrency=1, SCORING_HISTORY_WEEKS=WEEKS)
    run1 = wait_for(start(AS_OF, shards=4), finished)
    assert run1.status == ScoringRun.Status.SUCCEEDED, (run1.error, first.output())
    seen = sorted(live(rep).values_list("pk", "as_of", "scoring_run_id"))
    assert seen and {a[1] for a in seen} == {AS_OF}

    run2_id = start(AS_OF + timedelta(days=7), shards=40)
    wait_for(run2_id, lambda r: r.shards_done >= 2, timeout=60, poll=0.005)
    first.kill()

    run2 = ScoringRun.objects.get(pk=run2_id)
    assert run2.status == ScoringRun.Status.RUNNING and run2.shards_done < run2.shards_total
    assert sorted(live(rep).values_list("pk", "as_of", "scoring_run_id")) == seen
    assert set(TwinState.objects.values_list("scoring_run_id", flat=True)) == {run1.pk}

    # Past the broker's visibility timeout, a new worker takes over the dead worker's shard. A
    # shard lost for good (taken off the queue, killed before it was recorded as unacknowledged)
    # is queued again by the sweep that beat runs every five minutes: here every two seconds.
    time.sleep(6)
    second = workers(concurrency=2, SCORING_HISTORY_WEEKS=WEEKS)
    settings.SCORING_RESUME_AFTER = 2
    run2 = wait_for(
        run2_id, finished, workers=(first, second), tick=tasks.resume_stalled_runs, every=2
    )
    assert run2.status == ScoringRun.Status.SUCCEEDED, (run2.error, second.output())
    assert run2.shards_done == run2.shards_total == 40

    run3 = wait_for(start(AS_OF + timedelta(days=14), shards=4), finished)
    assert run3.status == ScoringRun.Status.SUCCEEDED, (run3.error, second.output())
    alerts = list(live(rep))
    assert {a.client_id for a in alerts if a.kind in CHURN_KINDS} == churned
    assert {a.as_of for a in alerts} == {AS_OF + timedelta(days=14)}
    assert len(alerts) == len({a.dedup_key for a in alerts}), "no duplicated alerts"


def test_a_run_whose_tasks_were_lost_is_resumed_by_the_sweep(workers, settings):
    rep, churned = plant(40)
    worker = workers(concurrency=2, SCORING_HISTORY_WEEKS=WEEKS)
    settings.SCORING_HISTORY_WEEKS = WEEKS
    run = runs.start_run(AS_OF, shards=4)  # created, its tasks never queued: all lost
    runs.score_shard(run.pk, 2)
    ScoringRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.SCORING_RESUME_AFTER + 1)
    )

    assert tasks.resume_stalled_runs() == {"resumed": [{"run": run.pk, "shards": [0, 1, 3]}]}

    run = wait_for(run.pk, finished, workers=(worker,))
    assert run.status == ScoringRun.Status.SUCCEEDED, (run.error, worker.output())
    assert {a.client_id for a in live(rep) if a.kind in CHURN_KINDS} == churned
