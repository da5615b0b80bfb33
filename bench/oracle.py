"""Bayes-optimal ceiling of churn detection on simulated histories (:mod:`.simulate`).

The oracle knows what no detector can: the onset, each pair's true order probability and
per-week mean units of an order, the law of the units (hurdle + ``NegBin(ORDER_NB_SIZE)``), the
shares of planted events and the law of the partial drop. Its recall at a given precision is
therefore an upper bound on what any detector can reach on the same data. The tighter bound of
``churn_ceiling(..., known_onset=False)`` knows all but the onset (:func:`changepoint_posterior`).
"""

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from .simulate import COMPATIBLE, ORDER_NB_SIZE

#: Planted truths of a commodity pair, in the order of the posterior's columns.
CLASSES = ("", "partial_churn", "full_churn")
#: Planted truths on which an alert of the kind is no false alarm.
FINE_ON = {k: tuple(t for t, fine in COMPATIBLE.items() if k in fine) for k in CLASSES[1:]}
#: Midpoints of 9 equal bins of the planted partial drop, U(0.4, 0.8).
DROP_GRID = 0.4 + 0.4 * (np.arange(9) + 0.5) / 9
ORDER_EVERY = (1, 2, 3, 4)


def _week_log_lik(y, order_p, mean, nb_size):
    """Log-likelihood of each of the weeks ``y`` (..., P, D)."""
    nb = stats.nbinom.logpmf(y, nb_size, nb_size / (nb_size + mean))
    with np.errstate(divide="ignore"):
        log_p = np.log(order_p)[:, None]
        zero = np.logaddexp(np.log1p(-order_p)[:, None], log_p + nb)
    return np.where(y == 0, zero, log_p + nb)


def _log_lik(y, order_p, mean, nb_size):
    """Log-likelihood of the weeks ``y`` (..., P, D) summed over the weeks."""
    return _week_log_lik(y, order_p, mean, nb_size).sum(-1)


def churn_posterior(units, order_p, order_mean, priors, drop_grid=DROP_GRID, nb_size=ORDER_NB_SIZE):
    """
    Return the (P, 3) posterior of :data:`CLASSES` (normal buying, partial churn, full churn)
    given the post-onset weeks ``units`` (P, D), the weekly order probabilities ``order_p`` (P,),
    the mean units of an order under normal buying ``order_mean`` (P, D) and the ``priors`` (3,)
    of the classes. Partial churn multiplies the mean by ``1 - drop``, averaged over the equally
    likely ``drop_grid``; full churn leaves only empty weeks. Computed in log space.
    """
    y = np.asarray(units, float)
    drop_grid = np.asarray(drop_grid, float)
    partial = _log_lik(y, order_p, order_mean * (1 - drop_grid)[:, None, None], nb_size)
    log_lik = np.stack(
        [
            _log_lik(y, order_p, order_mean, nb_size),
            logsumexp(partial, axis=0) - np.log(drop_grid.size),
            np.where((y == 0).all(1), 0.0, -np.inf),
        ]
    )
    with np.errstate(divide="ignore"):
        joint = np.log(np.asarray(priors, float))[:, None] + log_lik
    return np.exp(joint - logsumexp(joint, axis=0)).T


def changepoint_posterior(
    units, order_p, order_mean, priors, drop_grid=DROP_GRID, nb_size=ORDER_NB_SIZE
):
    """
    Return the (P, 3) posterior of :data:`CLASSES` like :func:`churn_posterior`, but with the
    onset unknown: ``units`` (P, L) are the last L weeks seen and a churn takes effect from any
    of their L columns ``tau`` with equal probability (prior ``priors[k] / L`` for each). The
    weeks before ``tau`` follow normal buying, the weeks from ``tau`` on the churned law; the
    posterior of a churn sums over ``tau``. Prefix and suffix sums of the weekly log-likelihoods
    give every ``tau`` at once; computed in log space.
    """
    y = np.asarray(units, float)
    n_tau = y.shape[1]

    def before(log_lik):  # (P, L + 1): the weeks before tau = 0..L
        return np.cumsum(np.pad(log_lik, ((0, 0), (1, 0))), 1)

    def after(log_lik):  # (P, L): the weeks from tau = 0..L-1 on
        return np.cumsum(log_lik[:, ::-1], 1)[:, ::-1]

    normal = before(_week_log_lik(y, order_p, order_mean, nb_size))
    partial = np.full(y.shape, -np.inf)
    for drop in np.asarray(drop_grid, float):
        churned = _week_log_lik(y, order_p, order_mean * (1 - drop), nb_size)
        partial = np.logaddexp(partial, after(churned))
    partial -= np.log(np.size(drop_grid))
    full = after(np.where(y == 0, 0.0, -np.inf))
    log_lik = np.stack(
        [
            normal[:, -1],
            logsumexp(normal[:, :-1] + partial, axis=1) - np.log(n_tau),
            logsumexp(normal[:, :-1] + full, axis=1) - np.log(n_tau),
        ]
    )
    with np.errstate(divide="ignore"):
        joint = np.log(np.asarray(priors, float))[:, None] + log_lik
    return np.exp(joint - logsumexp(joint, axis=0)).T


def churn_ceiling(
    batch,
    truth,
    delay=6,
    min_precision=0.7,
    drop_grid=DROP_GRID,
    nb_size=ORDER_NB_SIZE,
    known_onset=True,
    lookback=26,
    weekly=False,
    neutral=False,
):
    """
    Return, for partial and full churn, the largest recall within ``delay`` weeks of the onset
    that any detector could reach at precision >= ``min_precision`` on the commodity pairs of
    ``simulate(..., oracle=True)``, as a list of dicts: ``kind``, ``planted``, ``flagged``,
    ``recall``, ``precision``, ``tau`` and ``recall_by_order_every`` (an order every 1-4 weeks).

    This is a ceiling: the oracle knows the onset and the true parameters (:func:`churn_posterior`
    with the shares of planted events among commodity pairs as priors) and sees the weeks
    ``onset .. onset + delay - 1``, like the bench's scoring at delay ``delay``; each kind is
    flagged on its own (a detector gives one kind a pair a week). With ``known_onset=False`` it
    knows all but the onset and sees the last ``lookback`` of the weeks up to
    ``onset + delay - 1`` (fewer if the data starts later), a churn taking effect from any of
    them (:func:`changepoint_posterior`): a tighter ceiling. An alert of kind
    k is fine on the planted truths ``FINE_ON[k]`` (as in ``twins.bench``). The Bayes-optimal rule
    for "most planted k at an expected precision of at least m" flags the pairs with
    ``P(k) >= tau * (m - P(fine))`` (all pairs with ``P(fine) >= m``); for full churn that is a
    threshold on ``P(full)``. ``tau`` is swept and the best realised recall whose realised
    precision is at least m is kept (``tau`` is inf where only the pairs with ``P(fine) >= m``
    are flagged, NaN where no threshold reaches the precision).

    ``weekly=True`` looks after each of weeks 1..``delay`` instead of once, and a pair counts as
    flagged once its score passes ``tau`` at any look, as with a detector rescored weekly whose
    alerts stay in the queue: this oracle is no longer a ceiling, but the fair yardstick for
    such a detector.

    ``neutral=True`` judges precision as ``bench.twins.quality`` does: an alert of kind k on a
    pair planted with another truth of ``FINE_ON[k]`` (a partial-churn alert on a full churn) is
    neither right nor wrong, so precision is ``planted / (planted + false alarms)``, and pairs
    are ranked by ``P(k) / P(false alarm)``, the Bayes-optimal order for that precision. By
    default such an alert counts as right, which lets the partial-churn oracle buy recall with
    the full churns it flags (a detector calls those full churns first).
    """
    com = ~np.asarray(batch.technical)
    kind = truth.kind[com]
    order_p = truth.order_p[com]
    posterior = churn_posterior if known_onset else changepoint_posterior
    posts = []
    for end in truth.onset + np.arange(1 if weekly else delay, delay + 1):
        cols = slice(truth.onset if known_onset else max(0, end - lookback), end)
        posts.append(
            posterior(
                batch.units[com, cols],
                order_p,
                truth.order_mean[com, cols],
                [np.mean(kind == c) for c in CLASSES],
                drop_grid,
                nb_size,
            )
        )
    rows = []
    for k in ("partial_churn", "full_churn"):
        planted, fine = kind == k, np.isin(kind, FINE_ON[k])
        score = np.max([_score(post, k, min_precision, neutral) for post in posts], axis=0)
        order = np.argsort(-score, kind="stable")
        s = score[order]
        if neutral:  # the other fine truths count neither way
            right = np.cumsum(planted[order])
            precision = right / np.maximum(right + np.cumsum(~fine[order]), 1)
        else:
            precision = np.cumsum(fine[order]) / np.arange(1, s.size + 1)
        ok = np.flatnonzero(np.r_[s[1:] != s[:-1], True] & (precision >= min_precision))
        flag = np.zeros(s.size, bool)
        if ok.size:
            flag[order[: ok[-1] + 1]] = True
        by_freq = {e: _share(flag, planted & np.isclose(order_p, 1 / e)) for e in ORDER_EVERY}
        rows.append(
            {
                "kind": k,
                "planted": int(planted.sum()),
                "flagged": int(flag.sum()),
                "recall": _share(flag, planted),
                "precision": float(precision[ok[-1]]) if ok.size else float("nan"),
                "tau": float(s[ok[-1]]) if ok.size else float("nan"),
                "recall_by_order_every": by_freq,
            }
        )
    return rows


def _score(post, kind, min_precision, neutral=False):
    """``P(kind) / (min_precision - P(fine))``, inf where the alert is fine w.p. >= the bound;
    ``neutral``: ``P(kind) / P(false alarm)``, inf where a false alarm is impossible (0 where
    ``P(kind)`` is 0 too)."""
    fine = post[:, np.isin(CLASSES, FINE_ON[kind])].sum(1)
    if neutral:
        wrong = np.maximum(1.0 - fine, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_k = post[:, CLASSES.index(kind)]
            return np.where(wrong > 0, p_k / wrong, np.where(p_k > 0, np.inf, 0.0))
    slack = min_precision - fine
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(slack > 0, post[:, CLASSES.index(kind)] / slack, np.inf)


def _share(flag, sel):
    return float(flag[sel].mean()) if sel.any() else float("nan")
