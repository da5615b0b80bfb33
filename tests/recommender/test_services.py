"""Recommending, recording answers, folding rewards and harvesting outcomes, on the database."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import kinds
from crm.models import Feedback
from crm.services import answer_alert
from recommender import selectors, services
from recommender.models import (
    ArmPrior,
    BanditConfig,
    Outcome,
    Posterior,
    Recommendation,
    RewardEvent,
)

from .conftest import weeks_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(make_user):
    return make_user("rep1")


def set_config(**fields):
    config = BanditConfig.get()
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


def test_context_buckets_the_evidence(make_alert):
    alert = make_alert("full_churn", "technical", maturity_weeks=30, magnitude=0.5)
    assert services.alert_context(alert) == "full_churn|technical|new|mid"
    alert.evidence = {}
    assert services.alert_context(alert) == "full_churn|technical|na|na"


def test_recommends_only_actions_applicable_to_the_alert_kind(make_alert, action):
    applicable = {"visit", "call", "offer"}  # the default actions for full churn
    alerts = [make_alert("full_churn") for _ in range(40)]
    services.recommend_for_alerts([a.pk for a in alerts], rng=np.random.default_rng(0))
    recs = Recommendation.objects.filter(alert__in=alerts).select_related("action")
    assert recs.count() == 40
    assert {r.action.code for r in recs} <= applicable
    for rec in recs:
        assert set(rec.propensities) == applicable
        assert sum(rec.propensities.values()) == pytest.approx(1.0)
        assert rec.propensity == rec.propensities[rec.action.code] > 0
        # Cold start: every arm is still at the default Beta(1, 1) prior.
        assert rec.confidence == pytest.approx(0.5)


def test_alerts_without_family_or_evidence_get_a_recommendation(make_alert, action):
    alert = make_alert("cross_family_decline")
    alert.family, alert.evidence = None, {}
    alert.save()
    services.recommend_for_alerts([alert.pk])
    rec = services.current_recommendation(alert)
    assert rec.context == "cross_family_decline|na|na|na"
    assert rec.action.code in {"visit", "call", "offer"}


def test_a_recommendation_is_kept_while_its_context_is_unchanged(make_alert, action):
    alert = make_alert("partial_churn", magnitude=0.9)
    services.recommend_for_alerts([alert.pk])
    first = services.current_recommendation(alert)
    services.recommend_for_alerts([alert.pk])
    assert alert.recommendations.count() == 1
    alert.evidence["magnitude"] = 0.1
    alert.save()
    services.recommend_for_alerts([alert.pk])
    latest = services.current_recommendation(alert)
    assert alert.recommendations.count() == 2 and latest.pk != first.pk
    assert latest.context.endswith("|low")
    assert services.current_recommendations([alert]) == {alert.pk: latest}


def test_recommendation_follows_the_posterior(make_alert, action):
    alert = make_alert("partial_churn")
    context = services.alert_context(alert)
    for code in ("call", "email", "technical_demo", "offer", "monitor"):
        Posterior.objects.create(context=context, action=action(code), successes=5, failures=400)
    Posterior.objects.create(context=context, action=action("visit"), successes=400, failures=5)
    services.recommend_for_alerts([alert.pk])
    rec = services.current_recommendation(alert)
    assert rec.action.code == "visit"
    assert rec.propensity > 0.99
    assert rec.confidence == pytest.approx(401 / 407, abs=0.01)


def test_answers_write_reward_events_and_fold_them(make_alert, action, rep):
    set_config(engagement_weight=0.5)
    acted, dismissed, snoozed = (make_alert("partial_churn") for _ in range(3))
    services.recommend_for_alerts([acted.pk, dismissed.pk, snoozed.pk])
    recommended = services.current_recommendation(dismissed)

    answer_alert(acted, rep, Feedback.Verdict.ACT, action=action("call"))
    answer_alert(dismissed, rep, Feedback.Verdict.FALSE_ALARM)
    answer_alert(
        snoozed,
        rep,
        Feedback.Verdict.SNOOZE,
        snooze_until=timezone.localdate() + timedelta(days=7),
    )
    events = RewardEvent.objects.order_by("id")
    assert [(e.kind, e.action.code, e.successes, e.failures) for e in events] == [
        ("engaged", "call", 0.5, 0.0),
        ("false_alarm", recommended.action.code, 0.0, 0.5),
    ]
    assert not Posterior.objects.exists()  # answering never touches a posterior

    assert services.fold_rewards() == 2
    context = services.alert_context(acted)
    call = Posterior.objects.get(context=context, action=action("call"))
    assert call.successes == 0.5
    dismissed_arm = Posterior.objects.get(context=context, action=recommended.action)
    assert dismissed_arm.failures == 0.5
    assert sum(p.n_events for p in Posterior.objects.all()) == 2
    assert not RewardEvent.objects.filter(folded_at__isnull=True).exists()
    assert services.fold_rewards() == 0


def test_posterior_after_folds_hand_computed(make_alert, action):
    set_config(backoff_strength=4.0, discount=1.0)
    visit = action("visit")
    for context, succ, fail in (("a|commodity|new|low", 3, 1), ("b|commodity|new|low", 1, 5)):
        for _ in range(succ):
            RewardEvent.objects.create(context=context, action=visit, kind="recovered", successes=1)
        for _ in range(fail):
            RewardEvent.objects.create(context=context, action=visit, kind="lost", failures=1)
    services.fold_rewards()
    alpha, beta = selectors.arm_params(["a|commodity|new|low", "b|commodity|new|low"], [visit])
    # The two rates 3/4 and 1/6 spread more than Beta(p kappa, (1 - p) kappa) with kappa >= 1
    # allows, so the empirical strength is its floor, 1 (not the configured 4): each context
    # borrows one pseudo-observation at the other's rate, Beta(1/6, 5/6) + 3/1 and
    # Beta(3/4, 1/4) + 1/5.
    np.testing.assert_allclose(alpha[:, 0], [3 + 1 / 6, 1.75])
    np.testing.assert_allclose(beta[:, 0], [1 + 5 / 6, 5.25])
    # An explicit prior for the second context replaces the borrowed one.
    ArmPrior.objects.create(context="b|commodity|new|low", action=visit, alpha=2, beta=2)
    alpha, beta = selectors.arm_params(["b|commodity|new|low"], [visit])
    assert (alpha[0, 0], beta[0, 0]) == (3.0, 7.0)


def test_fold_discounts_old_evidence(action):
    visit = action("visit")
    now = timezone.now()
    set_config(discount=0.5, last_folded_at=now - timedelta(weeks=2))
    Posterior.objects.create(context="x", action=visit, successes=8, failures=4, n_events=12)
    RewardEvent.objects.create(context="x", action=visit, kind="recovered", successes=1)
    services.fold_rewards(now=now)
    p = Posterior.objects.get(context="x", action=visit)
    # Two weeks at 0.5 a week leave a quarter of the old evidence, then the new event adds 1.
    assert (p.successes, p.failures, p.n_events) == (3.0, 1.0, 13)


def test_reset_to_prior_forgets_the_evidence(action):
    visit = action("visit")
    Posterior.objects.create(context="x", action=visit, successes=8, failures=4, n_events=12)
    assert services.reset_to_prior(Posterior.objects.all()) == 1
    alpha, beta = selectors.arm_params(["x"], [visit])
    assert (alpha[0, 0], beta[0, 0]) == (1.0, 1.0)


def test_harvest_rewards_a_recovered_client_and_not_a_lost_one(make_alert, action, buy, rep):
    set_config(outcome_weeks=6, engagement_weight=0.0)
    recovered, lost, too_recent = (make_alert("partial_churn") for _ in range(3))
    visit = action("visit")
    for alert in (recovered, lost, too_recent):
        answer_alert(alert, rep, Feedback.Verdict.ACT, action=visit)
    answered = timezone.now() - timedelta(weeks=7)
    Feedback.objects.filter(alert__in=[recovered, lost]).update(created_at=answered)
    start = timezone.localdate(answered)
    for week in range(6):  # 6 units a week against a threshold of 5
        buy(recovered, start + timedelta(weeks=week, days=1), 6)
    buy(lost, start + timedelta(days=3), 4)
    buy(lost, start - timedelta(days=3), 100)  # before the answer: does not count
    buy(too_recent, timezone.localdate(), 1)  # the imported orders reach today

    assert services.harvest_outcomes() == 2
    outcomes = {o.alert_id: o for o in Outcome.objects.all()}
    assert outcomes[recovered.pk].recovered is True
    assert outcomes[recovered.pk].units_per_week == pytest.approx(6.0)
    assert outcomes[lost.pk].recovered is False
    assert outcomes[lost.pk].units_per_week == pytest.approx(4 / 6)
    p = Posterior.objects.get(context=services.alert_context(recovered), action=visit)
    assert (p.successes, p.failures) == (1.0, 1.0)  # folded: one recovery, one loss
    assert services.harvest_outcomes() == 0  # each answer is judged once


def test_harvest_waits_for_orders_that_cover_the_window(make_alert, action, buy, rep):
    """On a stale extract (the latest order two weeks before the window closed) nothing is
    judged lost for want of orders the import has not brought yet; the next import does."""
    set_config(outcome_weeks=6, engagement_weight=0.0)
    alert = make_alert("partial_churn")
    answer_alert(alert, rep, Feedback.Verdict.ACT, action=action("visit"))
    answered = timezone.now() - timedelta(weeks=10)
    Feedback.objects.filter(alert=alert).update(created_at=answered)
    start = timezone.localdate(answered)
    buy(alert, start + timedelta(days=1), 1)
    buy(alert, start + timedelta(weeks=3), 1)  # the extract ends 3 weeks after the answer

    assert services.harvest_outcomes() == 0
    buy(alert, timezone.localdate(), 1)  # a later import reaches today
    assert services.harvest_outcomes() == 1


def test_harvest_skips_alerts_it_cannot_judge(make_alert, action, rep):
    alert = make_alert("partial_churn")
    del alert.evidence["recovery_threshold_units_per_week"]
    alert.save()
    answer_alert(alert, rep, Feedback.Verdict.ACT, action=action("visit"))
    Feedback.objects.update(created_at=timezone.now() - timedelta(weeks=10))
    assert services.harvest_outcomes(as_of=weeks_ago(0)) == 0


def test_harvest_task_parses_its_date(make_alert, action, rep):
    from recommender.tasks import harvest_outcomes

    alert = make_alert("partial_churn")
    answer_alert(alert, rep, Feedback.Verdict.ACT, action=action("visit"))
    assert harvest_outcomes.delay(weeks_ago(-1).isoformat()).get() == 0
    assert harvest_outcomes.delay(weeks_ago(-7).isoformat()).get() == 1


def test_arm_prior_context_is_validated(action):
    prior = ArmPrior(
        context="partial_churn|commodity|ancient|high", action=action("visit"), alpha=2, beta=3
    )
    with pytest.raises(ValidationError, match="Unknown maturity 'ancient'"):
        prior.full_clean()
    prior.context = "partial_churn|commodity|loyal|high"
    prior.full_clean()
    ArmPrior(context="*", action=action("call"), alpha=1, beta=9).full_clean()
    ArmPrior(
        context="cross_family_decline|mixed|na|high", action=action("call"), alpha=1, beta=9
    ).full_clean()
    with pytest.raises(ValidationError, match="is not '\\*' nor"):
        ArmPrior(context="full_churn", action=action("call"), alpha=1, beta=9).full_clean()


def test_alert_kinds_of_the_default_actions_are_valid(action):
    from recommender.models import Action

    action("visit")
    assert Action.objects.count() == 12
    for a in Action.objects.all():
        assert set(a.alert_kinds) <= {k.code for k in kinds.all_kinds()}, a.code
        assert a.name_es and a.name_en
