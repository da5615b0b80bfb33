"""The figures bench_bandit and evaluate_policy print, against independent computations.

The table formats are checked in test_commands.py; here a printed number is recomputed from
the inputs with the estimator's or the regret's formula written out again.
"""

import re
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from bench import bandit_sim
from crm.models import Feedback, ProductFamily
from crm.services import answer_alert
from recommender import selectors, services
from recommender.models import MAGNITUDE_BUCKETS, MATURITY_BUCKETS, Action
from twins.kinds import Kind as TwinKind

pytestmark = pytest.mark.django_db

NUMBER = r"-?\d[\d,]*\.?\d*"


def _eligible():
    actions = list(Action.objects.filter(active=True))
    contexts = [
        (kind, fk, mat, mag)
        for kind in TwinKind.values
        for fk in ProductFamily.Kind.values
        for _, mat in MATURITY_BUCKETS
        for _, mag in MAGNITUDE_BUCKETS
    ]
    return np.array([[a.applies_to(c[0]) for a in actions] for c in contexts])


def test_bench_bandit_uniform_random_regret_and_true_value(action):
    """Uniform random over the eligible actions loses, per decision, E[best_c - rate_ca] with
    c ~ the context weights and a uniform over c's eligible actions. Over 1,000 decisions in
    each of two worlds, the printed mean is within 4.5 standard errors of that expectation
    (false failure ~ 7e-6). The off-policy table's "true" value of uniform random is the
    weighted mean eligible rate of the first world, exactly."""
    out = StringIO()
    call_command(
        "bench_bandit",
        *("--decisions", "2000", "--batch", "100", "--samples", "20", "--reps", "2"),
        *("--seed", "7"),
        stdout=out,
    )
    text = out.getvalue()
    eligible = _eligible()
    expected, variance, true_value = [], [], None
    for rep in range(2):
        world = bandit_sim.make_world(eligible, np.random.default_rng(7 + rep))
        n_el = eligible.sum(1)
        mean_rate = np.where(eligible, world.rates, 0).sum(1) / n_el
        best = np.where(eligible, world.rates, -np.inf).max(1)
        loss = best - mean_rate  # per context
        second = (np.where(eligible, (best[:, None] - world.rates) ** 2, 0).sum(1)) / n_el
        expected.append(1000 * world.weights @ loss)
        variance.append(1000 * (world.weights @ second - (world.weights @ loss) ** 2))
        if rep == 0:
            true_value = float(world.weights @ mean_rate)
    mean_expected = np.mean(expected)
    se = np.sqrt(np.sum(variance)) / 2
    row = next(line for line in text.splitlines() if line.startswith("uniform random"))
    printed = float(re.search(rf"({NUMBER}) ±", row).group(1).replace(",", ""))
    assert abs(printed - mean_expected) < 4.5 * se + 0.5  # + rounding of the printed figure
    ope = [line for line in text.splitlines() if line.startswith("uniform random")][-1]
    assert float(ope.split()[2]) == pytest.approx(true_value, abs=5e-5)


def test_evaluate_policy_uniform_and_most_common_match_ips_and_snips_by_hand(
    make_alert, make_user, action
):
    """From the logged rows: uniform random's weight is 1 / (eligible actions) / propensity;
    always-most-common's is 1 / propensity where the logged action is the most logged one."""
    rep = make_user("rep-figures")
    alerts = [make_alert("full_churn") for _ in range(24)]
    services.recommend_for_alerts([a.pk for a in alerts], rng=np.random.default_rng(11))
    for n, alert in enumerate(alerts):
        rec = services.current_recommendation(alert)
        if n % 4:
            answer_alert(alert, rep, Feedback.Verdict.ACT, action=rec.action)
        else:
            answer_alert(alert, rep, Feedback.Verdict.FALSE_ALARM)
    out = StringIO()
    call_command("evaluate_policy", "--seed", "1", stdout=out)
    text = out.getvalue()

    rows = selectors.logged_decisions("engagement")
    codes = set(Action.objects.values_list("code", flat=True))
    r = np.array([row["reward"] for row in rows], float)
    p = np.array([row["propensity"] for row in rows], float)
    n_eligible = np.array([len(({*row["propensities"]} & codes) | {row["action"]}) for row in rows])
    logged = [row["action"] for row in rows]
    order = [a.code for a in Action.objects.all()]
    counts = {c: logged.count(c) for c in order}
    top = max(order, key=lambda c: (counts[c], -order.index(c)))
    expected = {
        "uniform random": 1.0 / n_eligible / p,
        "always most common": np.array([c == top for c in logged]) / p,
    }
    for name, w in expected.items():
        line = next(line for line in text.splitlines() if line.startswith(name))
        ips, snips, _ = (float(v) for v in re.findall(rf"({NUMBER}) \[", line))
        assert ips == pytest.approx((w * r).mean(), abs=6e-4), name
        assert snips == pytest.approx((w * r).sum() / w.sum(), abs=6e-4), name
