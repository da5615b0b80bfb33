"""Thompson sampling with hierarchical backoff, and off-policy estimators. numpy and scipy.

Index conventions: N decisions (alerts), C contexts, A actions. ``eligible`` masks are bool
arrays shaped like the parameters; an ineligible action is never chosen and gets probability 0.
"""

import numpy as np
from scipy.special import betaincinv

#: Largest number of Beta draws held in memory at once by :func:`thompson_sample`.
_DRAW_BUDGET = 4_000_000


def pooled_params(successes, failures, prior_alpha, prior_beta):
    """Beta parameters of each action's pooled posterior: its prior plus all contexts' evidence.

    ``successes``/``failures`` are (C, A); the priors broadcast against (A,).
    """
    return prior_alpha + successes.sum(axis=0), prior_beta + failures.sum(axis=0)


def empirical_strength(successes, failures, fallback, cap=100.0):
    """Empirical-Bayes backoff strength per action, by the beta-binomial method of moments.

    If an action's success rate varies across contexts as Beta(m kappa, (1 - m) kappa), its
    rates have variance ``tau2 = m (1 - m) / (kappa + 1)``. With ``n_c`` trials and ``s_c``
    successes per context, ``N = sum n_c`` and pooled rate ``p = sum s_c / N``, the weighted
    spread ``S = sum n_c (s_c / n_c - p)^2`` has expectation
    ``(k - 1) p (1 - p) + tau2 (N - sum n_c^2 / N)`` over the ``k`` contexts with evidence, so
    ``kappa = p (1 - p) / tau2 - 1``, kept within ``[1, cap]`` (``cap`` when the contexts look
    alike). An action with evidence in fewer than two contexts keeps ``fallback``.
    ``successes``/``failures`` are (C, A); returns (A,).
    """
    successes = np.asarray(successes, dtype=float)
    n = successes + np.asarray(failures, dtype=float)
    k = (n > 0).sum(axis=0)
    total = n.sum(axis=0)
    safe = np.maximum(total, 1e-12)
    p = successes.sum(axis=0) / safe
    var = p * (1 - p)
    spread = (successes**2 / np.maximum(n, 1e-12)).sum(axis=0) - total * p**2
    denom = total - (n**2).sum(axis=0) / safe
    known = (k >= 2) & (denom > 1e-9) & (var > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = (spread - (k - 1) * var) / denom
        kappa = var / np.maximum(tau2, var / (cap + 1)) - 1
    return np.where(known, np.clip(kappa, 1.0, cap), float(fallback))


def random_effects_mean(successes, failures, strength):
    """Each action's mean success rate across contexts, leaving each context out, (C, A).

    A random-effects (inverse-variance) average of the contexts' observed rates: context c
    weighs ``1 / (tau2 + p (1 - p) / n_c)`` with ``tau2 = p (1 - p) / (strength + 1)`` the
    spread of rates across contexts and ``p`` the action's pooled rate. A heavily played
    context thus counts like one context, not like all its trials, so the mean a sparse context
    borrows is not dragged toward the few busy contexts where the action was played most.
    NaN where no other context has evidence or ``p`` is 0 or 1. ``strength`` is (A,).
    """
    successes = np.asarray(successes, dtype=float)
    n = successes + np.asarray(failures, dtype=float)
    p = successes.sum(axis=0) / np.maximum(n.sum(axis=0), 1e-12)
    var = p * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, successes / n, 0.0)
        weight = np.where(n > 0, 1 / (var / (strength + 1) + var / n), 0.0)
        others = weight.sum(axis=0) - weight
        mean = ((weight * rate).sum(axis=0) - weight * rate) / others
    return np.where((var > 0) & (others > 1e-9), mean, np.nan)


def backoff_params(
    successes,
    failures,
    pooled_alpha,
    pooled_beta,
    strength,
    prior_alpha=None,
    prior_beta=None,
    mean=None,
):
    """Beta posterior parameters per (context, action) with hierarchical backoff.

    The prior of a context is its explicit prior where one is given (non-NaN ``prior_alpha``),
    otherwise the action's pooled posterior *without this context's own evidence*, shrunk to
    at most ``strength`` pseudo-observations, with its mean kept or, where ``mean`` (C, A) is
    given and not NaN, replaced by it. The context's evidence is then added.
    ``successes``/``failures`` (C, A); ``pooled_*`` and ``strength`` (A,) or scalars;
    ``prior_*`` (C, A) or None.
    """
    successes = np.asarray(successes, dtype=float)
    failures = np.asarray(failures, dtype=float)
    loo_alpha = np.maximum(pooled_alpha - successes, 1e-9)
    loo_beta = np.maximum(pooled_beta - failures, 1e-9)
    total = loo_alpha + loo_beta
    size = np.minimum(total, strength)
    borrowed = loo_alpha / total
    if mean is not None:
        borrowed = np.where(np.isnan(mean), borrowed, np.clip(mean, 1e-6, 1 - 1e-6))
    base_alpha, base_beta = borrowed * size, (1 - borrowed) * size
    if prior_alpha is not None:
        explicit = ~np.isnan(prior_alpha)
        base_alpha = np.where(explicit, prior_alpha, base_alpha)
        base_beta = np.where(explicit, prior_beta, base_beta)
    # A context with zero strength and no evidence still needs a proper Beta.
    return np.maximum(base_alpha + successes, 1e-6), np.maximum(base_beta + failures, 1e-6)


def hierarchical_params(
    successes,
    failures,
    pooled_prior_alpha,
    pooled_prior_beta,
    fallback_strength,
    prior_alpha=None,
    prior_beta=None,
    cap=100.0,
):
    """:func:`backoff_params` with the backoff estimated from the data (empirical Bayes).

    Each action's strength is :func:`empirical_strength` (``fallback_strength`` until two
    contexts have evidence) and the borrowed mean its :func:`random_effects_mean` (the pooled
    posterior's mean where that is undefined). As in :func:`backoff_params`, a context never
    borrows more pseudo-observations than the pooled prior and the other contexts hold, which
    keeps the first few trials from setting a confident prior. Needs the evidence of *all*
    contexts, (C, A); the pooled priors broadcast against (A,).
    """
    strength = empirical_strength(successes, failures, fallback_strength, cap)
    pooled = pooled_params(successes, failures, pooled_prior_alpha, pooled_prior_beta)
    mean = random_effects_mean(successes, failures, strength)
    return backoff_params(successes, failures, *pooled, strength, prior_alpha, prior_beta, mean)


def thompson_sample(alpha, beta, eligible, rng, n_samples=1000, optimistic=False, rows=None):
    """Choose one action per decision by Thompson sampling and estimate the propensities.

    ``alpha``, ``beta``, ``eligible`` are (G, A), one row per group of decisions that share a
    posterior (a context); ``rows`` (N,) gives each decision's group (default: one decision
    per group). Each group gets ``k = max(n_samples, its decisions)`` posterior draws; its
    decisions take the winners of distinct draws (so each is an independent Thompson draw),
    and the share of the ``k`` draws an action wins is its propensity: the chosen action's
    propensity is never 0 and a decision's propensities sum to 1. ``optimistic`` raises each
    draw to at least the posterior mean (optimistic Bayesian sampling, May et al. 2012), so
    probably-worse arms are tried less. Decisions with no eligible action get ``-1`` and
    zeros. Returns ``(chosen (N,) int, propensities (N, A) float)``.
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    eligible = np.asarray(eligible, dtype=bool)
    g, a = alpha.shape
    rows = np.arange(g) if rows is None else np.asarray(rows, dtype=int)
    per_group = np.bincount(rows, minlength=g)
    k = int(max(n_samples, per_group.max(initial=0)))
    # The rank of each decision among its group's decisions picks its draw.
    order = np.argsort(rows, kind="stable")
    rank = np.empty(rows.size, dtype=int)
    rank[order] = np.arange(rows.size) - (np.cumsum(per_group) - per_group)[rows[order]]
    chosen = np.full(rows.size, -1, dtype=int)
    group_props = np.zeros((g, a))
    used = np.flatnonzero(per_group)
    step = max(1, _DRAW_BUDGET // (k * a))
    for start in range(0, used.size, step):
        part = used[start : start + step]
        draws = rng.beta(alpha[part], beta[part], size=(k, part.size, a))
        if optimistic:
            np.maximum(draws, alpha[part] / (alpha[part] + beta[part]), out=draws)
        # Arms clamped to equal means tie: break ties at random, not by position.
        draws += rng.random(draws.shape) * 1e-12
        draws[:, ~eligible[part]] = -np.inf
        winners = draws.argmax(axis=2)  # (k, part)
        group_props[part] = (winners[:, :, None] == np.arange(a)).sum(axis=0) / k
        local = np.full(g, -1)
        local[part] = np.arange(part.size)
        mine = np.flatnonzero(local[rows] >= 0)
        chosen[mine] = winners[rank[mine], local[rows[mine]]]
    none = ~eligible.any(axis=1)
    group_props[none] = 0.0
    chosen[none[rows]] = -1
    return chosen, group_props[rows]


def policy_probabilities(alpha, beta, eligible, rng, n_samples=1000, optimistic=False):
    """The Thompson policy's action probabilities per row, estimated by sampling."""
    return thompson_sample(alpha, beta, eligible, rng, n_samples, optimistic)[1]


def most_common_policy(logged_action, eligible):
    """Deterministic policy: the most often logged action that is eligible in each row.

    ``logged_action`` (N,) int; ``eligible`` (M, A). Returns (M, A) one-hot probabilities.
    """
    eligible = np.asarray(eligible, dtype=bool)
    counts = np.bincount(logged_action, minlength=eligible.shape[1]).astype(float)
    # Ties go to the lower index; an ineligible action can never win.
    scores = np.where(eligible, counts - np.arange(eligible.shape[1]) * 1e-9, -np.inf)
    probs = np.zeros(eligible.shape)
    rows = eligible.any(axis=1)
    probs[rows, scores[rows].argmax(axis=1)] = 1.0
    return probs


def uniform_policy(eligible):
    """Uniformly random over each row's eligible actions."""
    eligible = np.asarray(eligible, dtype=float)
    return eligible / np.maximum(eligible.sum(axis=1, keepdims=True), 1.0)


def off_policy_estimates(rewards, logged_action, propensity, target_probs, q_hat, z=1.96):
    """IPS, self-normalised IPS and doubly robust estimates of a target policy's value.

    ``rewards`` (N,) in 0..1, ``logged_action`` (N,) int, ``propensity`` (N,) the logging
    policy's probability of the logged action, ``target_probs`` (N, A) the target policy's
    probabilities, ``q_hat`` (N, A) a reward model. Returns ``{name: (estimate, low, high)}``
    with normal confidence intervals (delta method for SNIPS).
    """
    rewards = np.asarray(rewards, dtype=float)
    n = rewards.size
    if n == 0:
        raise ValueError("No logged decisions to evaluate.")
    rows = np.arange(n)
    weights = target_probs[rows, logged_action] / propensity
    ips_terms = weights * rewards
    dr_terms = (target_probs * q_hat).sum(axis=1) + weights * (rewards - q_hat[rows, logged_action])

    def mean_ci(terms):
        est = terms.mean()
        se = terms.std(ddof=1) / np.sqrt(n) if n > 1 else np.inf
        return est, est - z * se, est + z * se

    total_weight = weights.sum()
    if total_weight > 0:
        snips = ips_terms.sum() / total_weight
        se = np.sqrt(np.sum(weights**2 * (rewards - snips) ** 2)) / total_weight
    else:
        snips, se = np.nan, np.inf
    return {
        "IPS": mean_ci(ips_terms),
        "SNIPS": (snips, snips - z * se, snips + z * se),
        "DR": mean_ci(dr_terms),
    }


def credible_interval(alpha, beta, level=0.9):
    """Equal-tailed credible interval of Beta(alpha, beta): ``(low, high)``, broadcasting."""
    tail = (1 - level) / 2
    return betaincinv(alpha, beta, tail), betaincinv(alpha, beta, 1 - tail)


def shared_prior_evidence(successes, failures, groups, fallback, cap=100.0):
    """Evidence each context borrows from the contexts that share its prior pattern.

    Contexts whose prior comes from the same pattern (``groups`` (C, A) holds a group id per
    arm, -1 for none) are alike by the admin's judgement, so each borrows the others' evidence
    (leaving its own out), at most ``kappa`` pseudo-observations of it: ``kappa`` is the
    group's :func:`empirical_strength` (how alike their observed rates are; ``fallback`` until
    two contexts have evidence, within ``[1, cap]``). Returns ``(successes, failures)`` (C, A)
    to add to the explicit prior.
    """
    successes = np.asarray(successes, dtype=float)
    failures = np.asarray(failures, dtype=float)
    groups = np.asarray(groups)
    add_s, add_f = np.zeros(successes.shape), np.zeros(successes.shape)
    for g in np.unique(groups[groups >= 0]):
        rows, cols = np.nonzero(groups == g)
        s, f = successes[rows, cols], failures[rows, cols]
        kappa = empirical_strength(s[:, None], f[:, None], fallback, cap)[0]
        other_s, other_f = s.sum() - s, f.sum() - f
        other_n = other_s + other_f
        weight = np.where(other_n > 0, np.minimum(1.0, kappa / np.maximum(other_n, 1e-12)), 0.0)
        add_s[rows, cols] = weight * other_s
        add_f[rows, cols] = weight * other_f
    return add_s, add_f
