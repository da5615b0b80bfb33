"""Default sales priors: shipped as data, matched by pattern, edited as mean + strength."""

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from recommender import bandit, selectors, services
from recommender.models import Action, ArmPrior, Posterior, validate_pattern

pytestmark = pytest.mark.django_db


def best_prior_action(context):
    actions = [a for a in Action.objects.filter(active=True) if a.applies_to(context.split("|")[0])]
    prior_a, prior_b, _alpha, _beta = selectors.arm_table([context], actions)
    means = (prior_a / (prior_a + prior_b))[0]
    return actions[int(means.argmax())].code, means


@pytest.mark.parametrize(
    "context, expected",
    [
        ("partial_churn|commodity|loyal|high", "visit"),
        ("partial_churn|commodity|loyal|low", "call"),
        ("technical_deterioration|technical|established|mid", "send_sample"),
        ("uncaptured_potential|commodity|new|low", "email"),
        ("suspicious_pause|commodity|loyal|mid", "call"),
        ("cross_sell|technical|new|na", "send_sample"),
    ],
)
def test_default_priors_encode_sales_knowledge(default_priors, context, expected):
    best, means = best_prior_action(context)
    assert best == expected
    assert len(set(np.round(means, 3))) > 1  # not a flat 50 %


def test_every_kind_and_eligible_action_has_a_prior(default_priors):
    kinds = {p.split("|")[0] for p in ArmPrior.objects.values_list("context", flat=True)}
    assert len(kinds) == 14  # the twins' 8 and the deals engine's 6
    for kind in kinds:
        eligible = {a.code for a in Action.objects.all() if a.applies_to(kind)}
        covered = set(
            ArmPrior.objects.filter(context=f"{kind}|*|*|*").values_list("action__code", flat=True)
        )
        assert covered == eligible, kind


def test_the_most_specific_pattern_wins(default_priors, action):
    visit = action("visit")
    ArmPrior.objects.create(
        context="partial_churn|commodity|loyal|high", action=visit, alpha=9, beta=1
    )
    found = selectors.matching_priors(
        [
            "partial_churn|commodity|loyal|high",
            "partial_churn|technical|new|high",
            "partial_churn|commodity|loyal|mid",
        ],
        [visit],
    )
    assert found[(0, 0)][:2] == (9, 1)
    assert found[(1, 0)][2] == "partial_churn|*|*|high"
    assert found[(2, 0)][2] == "partial_churn|*|*|*"


@pytest.mark.parametrize(
    "value, message",
    [
        ("*|commodity|loyal|high", "Unknown alert kind"),
        ("partial_churn|*|*|huge", "Unknown magnitude"),
        ("partial_churn|*", "is not"),
    ],
)
def test_bad_patterns_are_rejected(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_pattern(value)


def test_contexts_under_one_pattern_share_their_evidence(default_priors, action):
    visit = action("visit")
    before = selectors.arm_params(["partial_churn|technical|new|mid"], [visit])
    Posterior.objects.create(
        context="partial_churn|commodity|loyal|mid", action=visit, successes=40, failures=2
    )
    Posterior.objects.create(
        context="partial_churn|commodity|new|mid", action=visit, successes=38, failures=4
    )
    after = selectors.arm_params(
        ["partial_churn|technical|new|mid", "partial_churn|commodity|new|low"], [visit]
    )
    mean = lambda a, b: a / (a + b)  # noqa: E731
    # A sibling under partial_churn|*|*|* learns from the others' success...
    assert mean(after[0][0, 0], after[1][0, 0]) > mean(before[0][0, 0], before[1][0, 0]) + 0.2
    # ...a small churn, whose visit prior is its own pattern (|low), does not.
    assert mean(after[0][1, 0], after[1][1, 0]) == pytest.approx(0.30)


def test_shared_evidence_leaves_the_context_out_and_is_capped():
    succ = np.array([[10.0], [10.0], [0.0]])
    fail = np.array([[10.0], [10.0], [0.0]])
    groups = np.array([[0], [0], [0]])
    add_s, add_f = bandit.shared_prior_evidence(succ, fail, groups, fallback=5.0, cap=8.0)
    # Rates are alike (0.5, 0.5): strength at the cap of 8; each borrows 8 of the others' 20.
    assert add_s[0, 0] + add_f[0, 0] == pytest.approx(8.0)
    assert add_s[0, 0] == pytest.approx(4.0)
    # The third context, without evidence, borrows from both others, still capped.
    assert add_s[2, 0] + add_f[2, 0] == pytest.approx(8.0)
    none = bandit.shared_prior_evidence(succ, fail, np.full((3, 1), -1), fallback=5.0)
    assert not none[0].any() and not none[1].any()


def test_admin_lists_priors_as_mean_and_strength(admin_client, default_priors):
    page = admin_client.get("/admin/recommender/armprior/?q=partial_churn")
    html = page.content.decode()
    assert "A large partial churn: visit first." in html
    assert "Beta(5.00, 5.00)" in html  # visit on a large partial churn: 0.50 x 10


def test_admin_edits_a_prior_by_mean_and_strength(admin_client, default_priors):
    prior = ArmPrior.objects.get(context="partial_churn|*|*|high", action__code="visit")
    url = f"/admin/recommender/armprior/{prior.pk}/change/"
    form = admin_client.get(url).content.decode()
    assert 'name="mean"' in form and 'value="0.5"' in form and 'name="alpha"' not in form
    data = {"context": prior.context, "action": prior.action_id, "note": "edited"}
    response = admin_client.post(url, data | {"mean": "0.6", "strength": "20"})
    assert response.status_code == 302
    prior.refresh_from_db()
    assert (prior.alpha, prior.beta) == pytest.approx((12.0, 8.0))
    assert "Beta(12.00, 8.00)" in admin_client.get(url).content.decode()


@pytest.mark.parametrize(
    "mean, strength, message",
    [
        ("1.2", "10", "strictly between 0 and 1"),
        ("0", "10", "strictly between 0 and 1"),
        ("0.4", "0", "more than 0 equivalent past cases"),
        ("0.4", "-3", "more than 0 equivalent past cases"),
    ],
)
def test_admin_rejects_a_bad_prior_and_keeps_the_old_one(
    admin_client, default_priors, mean, strength, message
):
    prior = ArmPrior.objects.get(context="partial_churn|*|*|high", action__code="visit")
    url = f"/admin/recommender/armprior/{prior.pk}/change/"
    data = {"context": prior.context, "action": prior.action_id, "note": ""}
    response = admin_client.post(url, data | {"mean": mean, "strength": strength})
    assert response.status_code == 200
    assert message in response.content.decode()
    prior.refresh_from_db()
    assert (prior.alpha, prior.beta) == pytest.approx((5.0, 5.0))


def test_recommendations_start_from_the_priors(default_priors, make_alert):
    """Cold start: confidences differ by context from the first alert, not a flat 50 %."""
    big = make_alert("partial_churn", magnitude=0.9)
    sample = make_alert("technical_deterioration", family_kind="technical", magnitude=0.5)
    services.recommend_for_alerts([big.pk, sample.pk], rng=np.random.default_rng(1))
    confidences = {r.alert_id: r.confidence for r in big.recommendations.model.objects.all()}
    assert len(set(np.round(list(confidences.values()), 3))) == 2
    assert all(c != 0.5 for c in confidences.values())
