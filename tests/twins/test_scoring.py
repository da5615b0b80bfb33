"""Database scoring: runs create, refresh and expire alerts atomically (SQLite, in-process)."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from crm.models import (
    Alert,
    Client,
    Order,
    OrderLine,
    Potential,
    Product,
    ProductFamily,
    User,
)
from twins import runs
from twins.models import ScoringRun, ShardResult, TwinState
from twins.stats import api as stats
from twins.stats import potential as potential_rules

AS_OF = date(2026, 11, 15)  # a Sunday
WEEKS = 104


@pytest.fixture
def world(db, settings):
    """A rep with a steady client and a client who stopped buying ANES six weeks ago."""
    settings.SCORING_HISTORY_WEEKS = WEEKS
    rep = User.objects.create_user("rep1", password="x", role="rep")
    family = ProductFamily.objects.create(code="ANES", name="Anaesthesia")
    product = Product.objects.create(code="ANES-1", family=family, list_price=Decimal("20"))
    stable = Client.objects.create(code="STABLE", rep=rep)
    churned = Client.objects.create(code="CHURNED", rep=rep)
    buy(stable, product, weeks=range(WEEKS))
    buy(churned, product, weeks=range(WEEKS - 6))
    return {"rep": rep, "family": family, "product": product, "stable": stable, "churned": churned}


def buy(client, product, weeks, units=10, as_of=AS_OF):
    """One order per week (Tuesday) for the given week numbers, 0 = oldest of the grid."""
    first_monday = as_of - timedelta(days=6) - timedelta(weeks=WEEKS - 1)
    for w in weeks:
        day = first_monday + timedelta(weeks=w, days=1)
        order = Order.objects.create(
            invoice_number=f"{client.code}-{product.code}-{day}", date=day, client=client
        )
        OrderLine.objects.create(
            order=order,
            line_number=1,
            product=product,
            units=Decimal(units),
            net_value=Decimal(units) * product.list_price,
            date=day,
            client=client,
            family=product.family,
        )


def live_alerts():
    return Alert.objects.filter(status__in=Alert.LIVE_STATUSES)


def test_stated_potential_never_bought_is_a_cross_sell(world, settings):
    """A family the client never buys, with a stated potential, while other clients buy it
    (the twins' old co-occurrence rule, on only behind TWINS_CROSS_SELL)."""
    settings.TWINS_CROSS_SELL = True
    implants = ProductFamily.objects.create(code="IMPL", name="Implants", kind="technical")
    implant = Product.objects.create(code="IMPL-1", family=implants, list_price=Decimal("300"))
    buy(world["churned"], implant, weeks=range(0, WEEKS, 8), units=2)
    Potential.objects.create(
        client=world["stable"], family=implants, annual_potential=Decimal("12000")
    )

    runs.launch(AS_OF, shards=1, inline=True)  # one shard: the similar clients are scored together

    alert = live_alerts().get(client=world["stable"])
    assert (alert.kind, alert.family) == ("cross_sell", implants)
    assert alert.priority > 0
    assert TwinState.objects.filter(client=world["stable"], family=implants).exists()


def test_by_default_the_twins_leave_cross_sell_to_the_propensity_model(world):
    implants = ProductFamily.objects.create(code="IMPL", name="Implants", kind="technical")
    implant = Product.objects.create(code="IMPL-1", family=implants, list_price=Decimal("300"))
    buy(world["churned"], implant, weeks=range(0, WEEKS, 8), units=2)
    Potential.objects.create(
        client=world["stable"], family=implants, annual_potential=Decimal("12000")
    )
    propensity_alert = Alert.objects.create(
        client=world["churned"],
        family=implants,
        kind="cross_sell",
        dedup_key=Alert.make_dedup_key(world["churned"].pk, implants.pk, "cross_sell"),
        priority=Decimal("10"),
        evidence={"model_version": 1, "probability": 0.4},
        as_of=AS_OF,
    )

    runs.launch(AS_OF, shards=1, inline=True)

    assert not live_alerts().filter(kind="cross_sell", client=world["stable"]).exists()
    propensity_alert.refresh_from_db()
    assert propensity_alert.status == Alert.Status.OPEN  # the twins' run leaves it alone


def test_default_as_of_is_the_last_sunday():
    assert runs.default_as_of(date(2026, 11, 15)) == date(2026, 11, 15)  # Sunday
    assert runs.default_as_of(date(2026, 11, 16)) == date(2026, 11, 15)  # Monday
    assert runs.default_as_of(date(2026, 11, 21)) == date(2026, 11, 15)  # Saturday


def test_run_alerts_the_churned_client_only(world):
    run = runs.launch(AS_OF, shards=2, inline=True)

    assert run.status == ScoringRun.Status.SUCCEEDED
    assert (run.shards_done, run.shards_total, run.pairs) == (2, 2, 2)
    assert {"read", "fit", "write", "total"} <= set(run.timings)
    alert = live_alerts().get()
    assert alert.client == world["churned"] and alert.family == world["family"]
    assert alert.kind in {"partial_churn", "full_churn"}
    assert alert.dedup_key == Alert.make_dedup_key(
        world["churned"].pk, world["family"].pk, alert.kind
    )
    assert isinstance(alert.priority, Decimal) and alert.priority > 0
    assert alert.as_of == AS_OF and alert.scoring_run == run
    assert TwinState.objects.filter(scoring_run=run).count() == 2
    twin = TwinState.objects.get(client=world["stable"])
    assert twin.kind == "commodity" and twin.as_of == AS_OF and twin.band_high > 0
    assert not ShardResult.objects.exists(), "staged results are cleaned up once published"


def test_rerun_updates_the_open_alert_instead_of_duplicating_it(world):
    first = runs.launch(AS_OF, inline=True)
    alert = live_alerts().get()
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.ACTING)

    second = runs.launch(AS_OF + timedelta(days=7), inline=True)

    assert (second.alerts_created, second.alerts_updated) == (0, 1)
    refreshed = live_alerts().get()
    assert refreshed.pk == alert.pk and refreshed.status == Alert.Status.ACTING
    assert refreshed.as_of == AS_OF + timedelta(days=7) and refreshed.scoring_run == second
    assert first.alerts_created == 1
    assert TwinState.objects.count() == 2


def test_alert_expires_when_the_evidence_vanishes(world):
    runs.launch(AS_OF, inline=True)
    alert = live_alerts().get()
    buy(world["churned"], world["product"], weeks=range(WEEKS - 6, WEEKS))

    run = runs.launch(AS_OF, inline=True)

    alert.refresh_from_db()
    assert alert.status == Alert.Status.EXPIRED and alert.closed_at is not None
    assert run.alerts_expired == 1 and not live_alerts().exists()


def test_dismissed_alert_is_not_reopened_within_the_cooldown(world, settings):
    runs.launch(AS_OF, inline=True)
    Alert.objects.update(status=Alert.Status.DISMISSED)

    run = runs.launch(AS_OF, inline=True)
    assert run.alerts_created == 0 and not live_alerts().exists()

    settings.SCORING_DISMISS_COOLDOWN_DAYS = 0
    run = runs.launch(AS_OF, inline=True)
    assert run.alerts_created == 1 and live_alerts().count() == 1
    assert Alert.objects.get(status=Alert.Status.DISMISSED).closed_at is not None


def test_failed_fit_keeps_previous_results(world, monkeypatch):
    good = runs.launch(AS_OF, inline=True)
    before = list(live_alerts().values_list("pk", "as_of", "priority"))

    def broken(batch, horizon=8):
        raise RuntimeError("fit exploded")

    monkeypatch.setattr(stats, "score_pairs", broken)
    with pytest.raises(RuntimeError):
        runs.launch(AS_OF + timedelta(days=7), inline=True)

    failed = ScoringRun.objects.latest()
    assert failed.status == ScoringRun.Status.FAILED and "fit exploded" in failed.error
    assert list(live_alerts().values_list("pk", "as_of", "priority")) == before
    assert set(TwinState.objects.values_list("scoring_run", flat=True)) == {good.pk}


def test_failure_while_publishing_rolls_everything_back(world, monkeypatch):
    good = runs.launch(AS_OF, inline=True)
    buy(world["churned"], world["product"], weeks=range(WEEKS - 6, WEEKS))

    def broken(alert_ids):
        raise RuntimeError("recommender down")

    monkeypatch.setattr(runs.alerts, "recommend", broken)  # after twins and alerts were written
    with pytest.raises(RuntimeError):
        runs.launch(AS_OF, inline=True)

    assert ScoringRun.objects.latest().status == ScoringRun.Status.FAILED
    assert live_alerts().get().scoring_run == good, "the expiry was rolled back"
    assert set(TwinState.objects.values_list("scoring_run", flat=True)) == {good.pk}


def test_recommender_is_told_about_created_and_refreshed_alerts(world, monkeypatch):
    calls = []
    monkeypatch.setattr("recommender.services.recommend_for_alerts", calls.append, raising=False)
    runs.launch(AS_OF, inline=True)
    runs.launch(AS_OF, inline=True)
    alert = live_alerts().get()
    assert calls == [[alert.pk], [alert.pk]]


def test_a_second_run_cannot_start_while_one_is_alive(world):
    first = runs.start_run(AS_OF, shards=2)
    second = runs.start_run(AS_OF, shards=2)

    assert second.status == ScoringRun.Status.SUPERSEDED
    assert f"run #{first.pk}" in second.error
    for shard in range(2):
        runs.score_shard(first.pk, shard)
    assert runs.publish_run(first.pk).status == ScoringRun.Status.SUCCEEDED


def test_overlapping_runs_cannot_both_publish(world, settings):
    slow = runs.start_run(AS_OF, shards=2)
    runs.score_shard(slow.pk, 0)
    # The slow run's worker vanished: after the stale delay a new run may start.
    ScoringRun.objects.filter(pk=slow.pk).update(
        heartbeat_at=slow.heartbeat_at - timedelta(seconds=settings.SCORING_STALE_AFTER + 1)
    )
    fresh = runs.launch(AS_OF, inline=True)
    assert fresh.status == ScoringRun.Status.SUCCEEDED
    slow.refresh_from_db()
    assert slow.status == ScoringRun.Status.FAILED and "No sign of life" in slow.error

    # Its re-delivered shard and publish come back later: both are refused.
    assert runs.score_shard(slow.pk, 1)["skipped"] == ScoringRun.Status.FAILED
    assert runs.publish_run(slow.pk).status == ScoringRun.Status.FAILED
    assert set(TwinState.objects.values_list("scoring_run", flat=True)) == {fresh.pk}


def test_runs_racing_to_publish_first_wins(world):
    a = runs.start_run(AS_OF, shards=1)
    # Simulate a second run that got past the start check concurrently.
    b = ScoringRun.objects.create(
        as_of=AS_OF,
        status=ScoringRun.Status.RUNNING,
        shards_total=1,
        shard_bounds=a.shard_bounds,
        started_at=a.started_at,
        heartbeat_at=a.heartbeat_at,
    )
    runs.score_shard(a.pk, 0)
    runs.score_shard(b.pk, 0)

    assert runs.publish_run(a.pk).status == ScoringRun.Status.SUCCEEDED
    b = runs.publish_run(b.pk)
    assert b.status == ScoringRun.Status.SUPERSEDED and f"run #{a.pk}" in b.error
    assert live_alerts().get().scoring_run_id == a.pk


def test_publish_waits_for_every_shard(world):
    run = runs.start_run(AS_OF, shards=2)
    runs.score_shard(run.pk, 1)
    with pytest.raises(runs.ShardsMissing):
        runs.publish_run(run.pk)
    assert not live_alerts().exists()


def test_restaged_shard_overwrites_its_own_result(world):
    run = runs.start_run(AS_OF, shards=2)
    runs.score_shard(run.pk, 0)
    runs.score_shard(run.pk, 0)
    run.refresh_from_db()
    assert run.shards_done == 1 and ShardResult.objects.filter(run=run).count() == 1


def test_score_command(world, capsys):
    from django.core.management import call_command

    call_command("score", "--as-of", "2026-11-15", "--shards", "2", "--no-progress", "--inline")
    assert "1 alerts created" in capsys.readouterr().out
    assert live_alerts().get().client == world["churned"]


def test_score_command_rejects_a_bad_date(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="as_of: '15/11/2026'"):
        call_command("score", "--as-of", "15/11/2026")


def test_false_discoveries_are_controlled_per_rep_queue(db):
    """The same p-value survives in a small queue and not in one with many quiet pairs."""
    small = Client.objects.create(code="A", rep=User.objects.create_user("a", role="rep"))
    large = Client.objects.create(code="B", rep=User.objects.create_user("b", role="rep"))
    clients = [small.pk, large.pk] + [large.pk] * 19
    columns = {
        "client": np.array(clients),
        "family": np.array([1, 1] + list(range(2, 21))),
        "p_value": np.array([0.05, 0.05] + [0.9] * 19),
    }
    churn = {"kind": "partial_churn", "p_value": 0.05, "at_stake": 10.0, "pair": True}
    candidates = [churn | {"client": c, "family": 1} for c in (small.pk, large.pk)]
    cross_sell = {"kind": "cross_sell", "p_value": None, "at_stake": 5.0, "pair": False}
    candidates.append(cross_sell | {"client": large.pk, "family": None})

    selected = runs.select_alerts(candidates, columns)

    assert set(selected) == {
        Alert.make_dedup_key(small.pk, 1, "partial_churn"),
        Alert.make_dedup_key(large.pk, None, "cross_sell"),
    }


def test_unreached_potentials_are_judged_over_the_whole_run_not_per_shard(world, settings):
    """Twelve clients each buy 200 euros of ANES a week (10,400 a year) against a stated
    potential of 104,000 (10%): nobody reaches a quarter of theirs, so every potential is "not
    reliable" and no uncaptured potential is raised, with one shard or with six (two clients
    each, too few to judge a family within a shard). One client with a potential of 1,000 buys
    more than it."""
    buyers = [Client.objects.create(code=f"B{i:02d}", rep=world["rep"]) for i in range(12)]
    for client in buyers:
        buy(client, world["product"], weeks=range(WEEKS))
        Potential.objects.create(client=client, family=world["family"], annual_potential=104000)
    Potential.objects.create(client=world["stable"], family=world["family"], annual_potential=1000)
    for shards in (1, 6):
        runs.launch(as_of=AS_OF, shards=shards, inline=True)
        codes = {
            t.client.code: t.params["potential_reliability"]
            for t in TwinState.objects.select_related("client")
        }
        assert {codes[c.code] for c in buyers} == {potential_rules.UNREACHED}
        assert codes["STABLE"] == potential_rules.ABOVE_PURCHASES
        assert codes["CHURNED"] is None  # no potential stated
        reach = TwinState.objects.get(client=buyers[0]).params["potential_family_reach"]
        assert reach == pytest.approx(0.1, abs=0.005)
        assert not live_alerts().filter(kind="uncaptured_potential").exists()
