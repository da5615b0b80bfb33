"""Read-side queries of the recommender: current recommendations, posteriors, logged decisions."""

import numpy as np
from django.db.models import Count

from crm.bulkload import chunks
from crm.models import Feedback

from . import bandit
from .models import (
    POOLED,
    Action,
    ArmPrior,
    BanditConfig,
    Outcome,
    Posterior,
    Recommendation,
    pattern_matches,
)

#: SQLite's historical limit on query parameters; ``__in`` lists are chunked below it.
CHUNK = 900


def current_recommendation(alert):
    """The latest recommendation for ``alert``, or ``None``."""
    return Recommendation.objects.filter(alert=alert).select_related("action").first()


def current_recommendations(alerts):
    """``{alert_pk: latest recommendation}`` for the given alerts (or alert ids)."""
    ids = [getattr(a, "pk", a) for a in alerts]
    found = {}
    for part in chunks(ids, CHUNK):
        recs = (
            Recommendation.objects.filter(alert_id__in=part)
            .select_related("action")
            .order_by("alert_id", "-created_at", "-id")
        )
        for rec in recs:
            found.setdefault(rec.alert_id, rec)
    return found


def arm_params(contexts, actions, config=None):
    """Beta posterior parameters ``(alpha, beta)``, each (len(contexts), len(actions)).

    Each context's evidence sits on its explicit prior (the most specific matching pattern,
    plus the evidence it borrows from the other contexts that pattern covers:
    :func:`recommender.bandit.shared_prior_evidence`), or else on a prior borrowed from the
    action's evidence in the other contexts (and the pooled prior, an ``*`` ArmPrior or the
    default one), its strength and mean estimated from every context's evidence by
    :func:`recommender.bandit.hierarchical_params`; ``config.backoff_strength`` serves until
    two contexts have evidence.
    """
    config = config or BanditConfig.get()
    contexts = list(contexts)
    a_index = {a.pk: j for j, a in enumerate(actions)}
    # The backoff is estimated from all contexts' evidence, not only the requested ones.
    evidence = list(
        Posterior.objects.filter(action_id__in=a_index).values_list(
            "context", "action_id", "successes", "failures"
        )
    )
    every = contexts + sorted({row[0] for row in evidence} - set(contexts))
    c_index = {c: i for i, c in enumerate(every)}
    shape = (len(every), len(actions))
    succ, fail = np.zeros(shape), np.zeros(shape)
    for context, action_id, successes, failures in evidence:
        succ[c_index[context], a_index[action_id]] = successes
        fail[c_index[context], a_index[action_id]] = failures
    prior_a, prior_b = np.full(shape, np.nan), np.full(shape, np.nan)
    pooled_prior_a = np.full(len(actions), config.default_alpha)
    pooled_prior_b = np.full(len(actions), config.default_beta)
    # Contexts covered by the same prior pattern share their evidence (see the bandit).
    groups, patterns = np.full(shape, -1), {}
    for (i, j), (alpha, beta, pattern) in matching_priors(every, actions).items():
        if i is None:
            pooled_prior_a[j], pooled_prior_b[j] = alpha, beta
        else:
            prior_a[i, j], prior_b[i, j] = alpha, beta
            groups[i, j] = patterns.setdefault((pattern, j), len(patterns))
    shared_s, shared_f = bandit.shared_prior_evidence(succ, fail, groups, config.backoff_strength)
    prior_a, prior_b = prior_a + shared_s, prior_b + shared_f
    alpha, beta = bandit.hierarchical_params(
        succ, fail, pooled_prior_a, pooled_prior_b, config.backoff_strength, prior_a, prior_b
    )
    return alpha[: len(contexts)], beta[: len(contexts)]


def matching_priors(contexts, actions):
    """``{(context index or None for the pooled prior, action index): (alpha, beta, pattern)}``.

    Each context takes the most specific ArmPrior whose pattern covers it (an exact context
    beats ``partial_churn|*|*|high``, which beats ``partial_churn|*|*|*``).
    """
    a_index = {a.pk: j for j, a in enumerate(actions)}
    found, rank = {}, {}
    rows = ArmPrior.objects.filter(action_id__in=a_index).values_list(
        "context", "action_id", "alpha", "beta"
    )
    for pattern, action_id, alpha, beta in rows.order_by("context"):
        j = a_index[action_id]
        if pattern == POOLED:
            found[(None, j)] = (alpha, beta, pattern)
            continue
        for i, context in enumerate(contexts):
            level = pattern_matches(pattern, context)
            if level is not None and level > rank.get((i, j), -1):
                found[(i, j)], rank[(i, j)] = (alpha, beta, pattern), level
    return found


def arm_table(contexts, actions, config=None):
    """Prior and posterior Beta parameters per (context, action), for the admin's charts.

    Returns ``(prior_alpha, prior_beta, alpha, beta)``, each (len(contexts), len(actions)):
    the prior is the explicit prior the admin set (the most specific matching pattern) or, for
    a context no pattern covers, the backoff it borrows; the posterior is :func:`arm_params`
    (which adds the evidence shared within the pattern and the context's own).
    """
    contexts, actions = list(contexts), list(actions)
    alpha, beta = arm_params(contexts, actions, config)
    succ, fail = np.zeros(alpha.shape), np.zeros(alpha.shape)
    c_index = {c: i for i, c in enumerate(contexts)}
    a_index = {a.pk: j for j, a in enumerate(actions)}
    evidence = Posterior.objects.filter(context__in=contexts, action_id__in=a_index)
    for context, action_id, s, f in evidence.values_list(
        "context", "action_id", "successes", "failures"
    ):
        succ[c_index[context], a_index[action_id]] = s
        fail[c_index[context], a_index[action_id]] = f
    prior_a, prior_b = np.maximum(alpha - succ, 1e-6), np.maximum(beta - fail, 1e-6)
    for (i, j), (a, b, _pattern) in matching_priors(contexts, actions).items():
        if i is not None:
            prior_a[i, j], prior_b[i, j] = a, b
    return prior_a, prior_b, alpha, beta


def learning_summary(kind=None, level=0.9):
    """What the bandit learned, per context with decisions or evidence (optionally one kind).

    Returns a list of ``{"context", "decisions", "events", "rows"}``; each row is one eligible
    action: its prior and posterior Beta, means and ``level`` credible intervals, the number of
    recommendations made (decisions), reward events folded, and the discounted successes and
    failures.
    """
    contexts = set(Posterior.objects.filter(n_events__gt=0).values_list("context", flat=True))
    contexts |= set(Recommendation.objects.order_by().values_list("context", flat=True).distinct())
    if kind:
        contexts = {c for c in contexts if c.split("|")[0] == kind}
    contexts = sorted(contexts)
    actions = list(Action.objects.filter(active=True))
    if not contexts or not actions:
        return []
    prior_a, prior_b, alpha, beta = arm_table(contexts, actions)
    prior_lo, prior_hi = bandit.credible_interval(prior_a, prior_b, level)
    lo, hi = bandit.credible_interval(alpha, beta, level)
    decisions = {
        (r["context"], r["action_id"]): r["n"]
        for r in Recommendation.objects.filter(context__in=contexts)
        .order_by()
        .values("context", "action_id")
        .annotate(n=Count("pk"))
    }
    evidence = {(p.context, p.action_id): p for p in Posterior.objects.filter(context__in=contexts)}
    summary = []
    for i, context in enumerate(contexts):
        alert_kind = context.split("|")[0]
        rows = []
        for j, a in enumerate(actions):
            if not a.applies_to(alert_kind):
                continue
            found = evidence.get((context, a.pk))
            rows.append(
                {
                    "action": a,
                    "label": a.name,
                    "prior_alpha": float(prior_a[i, j]),
                    "prior_beta": float(prior_b[i, j]),
                    "prior_mean": float(prior_a[i, j] / (prior_a[i, j] + prior_b[i, j])),
                    "prior_low": float(prior_lo[i, j]),
                    "prior_high": float(prior_hi[i, j]),
                    "alpha": float(alpha[i, j]),
                    "beta": float(beta[i, j]),
                    "mean": float(alpha[i, j] / (alpha[i, j] + beta[i, j])),
                    "low": float(lo[i, j]),
                    "high": float(hi[i, j]),
                    "decisions": decisions.get((context, a.pk), 0),
                    "events": found.n_events if found else 0,
                    "successes": found.successes if found else 0.0,
                    "failures": found.failures if found else 0.0,
                }
            )
        summary.append(
            {
                "context": context,
                "decisions": sum(r["decisions"] for r in rows),
                "events": sum(r["events"] for r in rows),
                "rows": rows,
            }
        )
    return summary


def attach_params(posteriors):
    """Set ``alpha``, ``beta`` and ``mean`` on each Posterior row (for the admin)."""
    posteriors = list(posteriors)
    if not posteriors:
        return posteriors
    contexts = sorted({p.context for p in posteriors})
    actions = sorted({p.action for p in posteriors}, key=lambda a: a.pk)
    alpha, beta = arm_params(contexts, actions)
    c_index = {c: i for i, c in enumerate(contexts)}
    a_index = {a.pk: j for j, a in enumerate(actions)}
    for p in posteriors:
        i, j = c_index[p.context], a_index[p.action_id]
        p.alpha, p.beta = float(alpha[i, j]), float(beta[i, j])
        p.mean = p.alpha / (p.alpha + p.beta)
    return posteriors


def logged_decisions(reward="engagement"):
    """The recommendations reps answered, with their propensities and rewards, for evaluation.

    One row per alert: the recommendation current when the alert got its first *I will act* or
    *False alarm* answer. ``reward="engagement"`` scores 1 when the rep acted with the
    recommended action; ``reward="outcome"`` scores 1 when, in addition, the harvested outcome
    says buying recovered (alerts acted on but not harvested yet are left out).
    Returns a list of dicts: context, action (code), propensity, propensities, reward.
    """
    if reward not in ("engagement", "outcome"):
        raise ValueError(f"Unknown reward {reward!r}: use 'engagement' or 'outcome'.")
    answers = {}
    terminal = Feedback.objects.filter(
        verdict__in=[Feedback.Verdict.ACT, Feedback.Verdict.FALSE_ALARM]
    ).order_by("alert_id", "created_at", "id")
    for fb in terminal.values("id", "alert_id", "verdict", "action_id", "created_at"):
        answers.setdefault(fb["alert_id"], fb)
    rows = []
    for part in chunks(answers, CHUNK):
        outcomes = {}
        if reward == "outcome":
            outcomes = dict(
                Outcome.objects.filter(
                    feedback_id__in=[answers[a]["id"] for a in part]
                ).values_list("feedback_id", "recovered")
            )
        recs = (
            Recommendation.objects.filter(alert_id__in=part)
            .select_related("action")
            .order_by("alert_id", "created_at", "id")
        )
        shown = {}
        for rec in recs:
            if rec.created_at <= answers[rec.alert_id]["created_at"]:
                shown[rec.alert_id] = rec
        for alert_id, rec in shown.items():
            fb = answers[alert_id]
            followed = fb["verdict"] == Feedback.Verdict.ACT and fb["action_id"] == rec.action_id
            if reward == "outcome" and followed:
                if fb["id"] not in outcomes:
                    continue
                followed = outcomes[fb["id"]]
            rows.append(
                {
                    "context": rec.context,
                    "action": rec.action.code,
                    "propensity": rec.propensity,
                    "propensities": rec.propensities,
                    "reward": float(followed),
                }
            )
    return rows
