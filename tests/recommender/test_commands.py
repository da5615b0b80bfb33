"""The evaluate_policy and bench_bandit commands, and the bandit admin pages."""

from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from crm.models import Feedback
from crm.services import answer_alert
from recommender import services
from recommender.models import ArmPrior, BanditConfig, Posterior

pytestmark = pytest.mark.django_db


def test_evaluate_policy_needs_logged_decisions(action):
    with pytest.raises(CommandError, match="No logged decisions with engagement rewards"):
        call_command("evaluate_policy")


def test_evaluate_policy_estimates_three_policies(make_alert, make_user, action):
    rep = make_user("rep-ope")
    alerts = [make_alert("full_churn") for _ in range(30)]
    services.recommend_for_alerts([a.pk for a in alerts], rng=np.random.default_rng(5))
    followed = 0
    for n, alert in enumerate(alerts):
        rec = services.current_recommendation(alert)
        if n % 3:
            answer_alert(alert, rep, Feedback.Verdict.ACT, action=rec.action)
            followed += 1
        else:
            answer_alert(alert, rep, Feedback.Verdict.FALSE_ALARM)
    out = StringIO()
    call_command("evaluate_policy", "--seed", "1", stdout=out)
    text = out.getvalue()
    assert "30 logged decisions, engagement reward, mean logged reward 0.667" in text
    for name in ("current policy", "always most common", "uniform random"):
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert len(line.split("[")) == 4  # IPS, SNIPS and DR, each with an interval
    # Outcome rewards: the false alarms score 0; acted-on alerts wait for their harvest.
    out = StringIO()
    call_command("evaluate_policy", "--reward", "outcome", stdout=out)
    assert "10 logged decisions, outcome reward, mean logged reward 0.000" in out.getvalue()


def test_bench_bandit_prints_regret_and_off_policy_table(action):
    out = StringIO()
    call_command(
        "bench_bandit",
        *("--decisions", "2000", "--batch", "100", "--samples", "50", "--reps", "2"),
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("policy"))
    assert "after 1,000" in header and "after 100,000" not in header
    for name in ("this policy", "context-free", "epsilon-greedy", "uniform random"):
        row = next(line for line in lines if name in line)
        assert row.count("±") == 1
    start = lines.index(
        "First world: off-policy value of the policy frozen after 1,000 decisions, estimated "
        "from the 1,000 decisions logged after it (95% CI):"
    )
    assert lines[start + 2].startswith("this policy")
    assert lines[start + 2].count("[") == 3


def test_bench_bandit_rejects_a_bad_size(action):
    with pytest.raises(CommandError, match="multiple of 2 x --batch"):
        call_command("bench_bandit", "--decisions", "150", "--batch", "100")


def test_admin_shows_posteriors_and_resets_them(admin_client, action):
    visit = action("visit")
    arm = Posterior.objects.create(
        context="partial_churn|commodity|loyal|high",
        action=visit,
        successes=3,
        failures=1,
        n_events=4,
    )
    page = admin_client.get("/admin/recommender/posterior/")
    assert page.status_code == 200
    # Beta(1, 1) borrowed from the (empty) pooled posterior plus 3 / 1: mean 4/6.
    assert "0.667" in page.content.decode()
    assert admin_client.get(f"/admin/recommender/posterior/{arm.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/recommender/posterior/",
        {"action": "reset_to_prior", "_selected_action": [arm.pk]},
        follow=True,
    )
    assert "1 posteriors reset to their prior." in response.content.decode()
    arm.refresh_from_db()
    assert (arm.successes, arm.failures, arm.n_events) == (0, 0, 0)


def test_admin_edits_priors_and_settings(admin_client, action):
    assert admin_client.get("/admin/recommender/armprior/").status_code == 200
    response = admin_client.post(
        "/admin/recommender/armprior/add/",
        {
            "context": "full_churn|technical|new|high",
            "action": action("offer").pk,
            "mean": "0.3",
            "strength": "10",
        },
    )
    assert response.status_code == 302
    response = admin_client.post(
        "/admin/recommender/armprior/add/",
        {
            "context": "full_churn|gadgets|new|high",
            "action": action("offer").pk,
            "mean": "0.3",
            "strength": "10",
        },
    )
    assert "Unknown family kind" in response.content.decode()
    assert admin_client.get("/admin/recommender/banditconfig/").status_code == 200


def test_pooled_prior_reset_clears_every_context_of_its_action(admin_client, action):
    visit, call = action("visit"), action("call")
    for context in ("a|commodity|new|low", "b|technical|loyal|high"):
        Posterior.objects.create(context=context, action=visit, successes=2, n_events=2)
    Posterior.objects.create(context="a|commodity|new|low", action=call, successes=5, n_events=5)
    prior = ArmPrior.objects.create(context="*", action=visit, alpha=1, beta=4)
    response = admin_client.post(
        "/admin/recommender/armprior/",
        {"action": "reset_to_prior", "_selected_action": [prior.pk]},
        follow=True,
    )
    assert "2 posteriors reset to their prior." in response.content.decode()
    assert list(
        Posterior.objects.filter(n_events__gt=0).values_list("action__code", flat=True)
    ) == ["call"]
    config = BanditConfig.get()
    page = admin_client.get(f"/admin/recommender/banditconfig/{config.pk}/change/")
    assert "Weekly discount of old evidence" in page.content.decode()
