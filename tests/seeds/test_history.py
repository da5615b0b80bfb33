"""seed_demo's simulated history: it goes through the product's services, is deterministic, and
leaves a bandit that learned the hidden truth."""

import datetime as dt
import io
from importlib import import_module
from unittest import mock

import numpy as np
import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from bench.demo_bandit import rankings
from crm.models import Alert, Feedback, User
from recommender import selectors
from recommender import services as rec_services
from recommender.models import Outcome, Posterior, Recommendation, RewardEvent
from seeds import history, services
from tests.conftest import FAST_PASSWORD_HASHERS
from web import selectors as web_selectors

END = dt.date(2026, 6, 28)  # a Sunday


def defaults():
    """Actions and priors as the data migrations make them (a flush by an earlier test
    removes them)."""
    import_module("recommender.migrations.0003_default_actions").create_actions(apps, None)
    import_module("recommender.migrations.0006_default_priors").create_priors(apps, None)


def wipe():
    services.wipe()
    history.forget_learning()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo as `make demo` seeds it, smaller: 200 clients, 52 weeks of history."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        defaults()
        summary = services.seed_demo(
            clients=200, weeks=156, seed=7, end=END, reset=True, password="pw", history_weeks=52
        )
        yield summary
        wipe()


@pytest.mark.django_db
def test_the_posterior_ranks_the_hidden_best_action_first(demo):
    found = rankings(min_events=20)
    assert len(found) >= 15
    right = sum(r.posterior_right for r in found) / len(found)
    prior_right = sum(r.prior_right for r in found) / len(found)
    assert right >= 0.8
    assert right > prior_right + 0.2  # learnt, not just the priors


@pytest.mark.django_db
def test_rewards_and_outcomes_come_from_answers_and_harvests(demo):
    h = demo.history
    assert h.alerts > 1000 and h.answers["act"] > 500 and h.answers["false_alarm"] > 200
    assert h.answers["snooze"] > 50
    simulated = history.history_alerts()
    assert simulated.count() == h.alerts
    assert not simulated.filter(status__in=Alert.LIVE_STATUSES).exists()
    assert Recommendation.objects.filter(alert__in=simulated).values(
        "alert"
    ).distinct().count() == (h.alerts)
    # Every reward is tied to a rep's answer of the matching verdict...
    assert not RewardEvent.objects.filter(feedback__isnull=True).exists()
    pairs = {
        "engaged": "act",
        "false_alarm": "false_alarm",
        "recovered": "act",
        "lost": "act",
    }
    for kind, verdict in pairs.items():
        assert not RewardEvent.objects.filter(kind=kind).exclude(feedback__verdict=verdict).exists()
    # ...answered by the client's rep, and every outcome has its reward and is judged right.
    assert not Feedback.objects.exclude(user=models_rep()).exists()
    assert (
        Outcome.objects.count()
        == RewardEvent.objects.filter(kind__in=["recovered", "lost"]).count()
    )
    for o in Outcome.objects.all()[:300]:
        assert o.recovered == (o.units_per_week >= o.threshold_units_per_week)
    assert 0.2 < Outcome.objects.filter(recovered=True).count() / Outcome.objects.count() < 0.6
    assert not RewardEvent.objects.filter(folded_at__isnull=True).exists()


def models_rep():
    from django.db.models import F

    return F("alert__client__rep")


@pytest.mark.django_db
def test_history_lies_in_the_past_before_the_demo_today(demo):
    first = END - dt.timedelta(weeks=52)
    stamps = Feedback.objects.values_list("created_at", flat=True)
    assert min(stamps).date() > first and max(stamps).date() <= END
    assert Outcome.objects.order_by("-harvested_at").first().harvested_at.date() <= END


@pytest.mark.django_db
def test_track_record_and_confidences_are_populated(demo):
    manager = User.objects.get(username="manager")
    rows, source = web_selectors.track_record(manager)
    assert source == "outcomes"
    judged = {r["kind"]: r for r in rows if r["judged"]}
    assert set(history.KIND_MIX) <= set(judged)
    assert all(0 < r["share"] < 1 for r in judged.values())
    confidences = Recommendation.objects.values_list("confidence", flat=True)
    assert len({round(c, 2) for c in confidences}) > 20


@pytest.mark.django_db
def test_a_new_alert_gets_the_learned_confidence(demo):
    context = "full_churn|commodity|established|mid"
    alert = history.history_alerts().filter(kind="full_churn").first()
    fresh = Alert.objects.create(
        client=alert.client,
        family=alert.family,
        kind="full_churn",
        dedup_key="fresh",
        evidence=alert.evidence | {"magnitude": 0.5},
        as_of=END,
    )
    rec_services.recommend_for_alerts([fresh.pk], rng=np.random.default_rng(0))
    rec = fresh.recommendations.get()
    assert rec.context == context
    actions = [rec.action]
    alpha, beta = selectors.arm_params([context], actions)
    assert rec.confidence == pytest.approx(alpha[0, 0] / (alpha[0, 0] + beta[0, 0]))
    assert rec.propensities["offer"] > 0.5  # the hidden best; the prior said visit


def small(seed=3, **patches):
    """A small demo with 20 weeks of history; returns what a user would see of it."""
    defaults()
    services.seed_demo(
        clients=40, weeks=80, seed=seed, end=END, reset=True, password="pw", history_weeks=20
    )
    feedback = Feedback.objects.order_by("created_at", "alert__client__code").values_list(
        "created_at", "alert__client__code", "alert__kind", "verdict", "action__code"
    )
    arms = Posterior.objects.order_by("context", "action__code").values_list(
        "context", "action__code", "successes", "failures"
    )
    return list(feedback), [(c, a, round(s, 9), round(f, 9)) for c, a, s, f in arms]


@pytest.mark.django_db
def test_same_seed_same_history_and_another_seed_differs():
    first = small()
    wipe()
    again = small()
    assert first == again and len(first[0]) > 50
    wipe()
    assert small(seed=4) != first


@pytest.mark.django_db
def test_the_history_answers_through_answer_alert_and_judges_through_harvest():
    from crm import services as crm_services

    with (
        mock.patch.object(crm_services, "answer_alert", wraps=crm_services.answer_alert) as answer,
        mock.patch.object(
            rec_services, "harvest_outcomes", wraps=rec_services.harvest_outcomes
        ) as harvest,
    ):
        small()
    assert answer.call_count == Feedback.objects.count() > 50
    assert harvest.call_count == 20  # one harvest a simulated week
    assert Outcome.objects.exists()


@pytest.mark.django_db
def test_without_the_services_nothing_is_learned():
    """Had the history written rewards or outcomes itself, they would appear anyway."""
    from crm import services as crm_services

    with (
        mock.patch.object(crm_services, "answer_alert", return_value=None),
        mock.patch.object(rec_services, "harvest_outcomes", return_value=0),
    ):
        small()
    assert not Feedback.objects.exists()
    assert not RewardEvent.objects.exists() and not Outcome.objects.exists()
    assert not Posterior.objects.filter(n_events__gt=0).exists()


@pytest.mark.django_db
def test_command_prints_the_history():
    defaults()
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--clients=40",
        "--weeks=80",
        "--end=2026-06-28",
        "--reset",
        "--password=pw",
        "--history-weeks=20",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Simulated 20 weeks of history:" in out.getvalue()
    assert "outcomes judged" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("weeks", [5, 60])
def test_bad_history_length_is_reported(weeks):
    with pytest.raises(services.SeedError, match="--history-weeks must be 0 or between 14"):
        services.seed_demo(clients=5, weeks=80, seed=1, end=END, history_weeks=weeks)


@pytest.mark.django_db
def test_bench_demo_bandit_prints_a_table():
    defaults()
    out = io.StringIO()
    call_command(
        "bench_demo_bandit",
        "--clients=40",
        "--weeks=80",
        "--history-weeks=20",
        "--seeds=3",
        "--min-events=5",
        "--end=2026-06-28",
        "--detail",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("| seed | contexts | posterior ranks the true best first |")
    row = lines[2].split("|")
    assert row[1].strip() == "3" and int(row[2]) > 0 and "%" in row[3]
    assert any(line.startswith("| context | rewards | true best |") for line in lines)


@pytest.mark.django_db
def test_admin_lists_priors_and_learned_posteriors(demo, client):
    client.force_login(User.objects.get(username="admin"))
    client.cookies["django_language"] = "en"
    priors = client.get("/admin/recommender/armprior/").content.decode()
    assert "66 arm priors" in priors  # 44 for the twins' kinds, 22 for the deals' (0007)
    posteriors = client.get("/admin/recommender/posterior/").content.decode()
    assert "partial_churn|commodity|established|high" in posteriors
    learning = client.get("/admin/recommender/posterior/learning/").content.decode()
    assert learning.count('class="bandit-chart"') >= 20
