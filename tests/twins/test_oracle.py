"""The Bayes-optimal churn ceiling on hand-computed posteriors and planted lumpy histories."""

from types import SimpleNamespace

import numpy as np
import pytest

from twins.stats.oracle import churn_ceiling, churn_posterior
from twins.stats.simulate import Truth, simulate


def lumpy(n, order_p, shares=(0.05, 0.04), delay=6, seed=0):
    """``n`` commodity pairs ordering with probability ``order_p`` (scalar or (n,)) with
    ``delay`` post-onset weeks, ``shares`` of partial (drop ~ U(0.4, 0.8)) and full churn, as
    ``simulate`` plants them."""
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    kind = np.select([u < shares[0], u < sum(shares)], ["partial_churn", "full_churn"], "")
    kind = kind.astype(object)
    drop = np.where(kind == "partial_churn", rng.uniform(0.4, 0.8, n), 0.0)
    order_p = np.broadcast_to(order_p, n)[:, None]
    order_mean = np.repeat(np.exp(rng.normal(np.log(10.0), 0.8, (n, 1))) / order_p, delay, 1)
    mean = order_mean * np.where(kind == "full_churn", 0.0, 1 - drop)[:, None]
    qty = rng.negative_binomial(4.0, 4.0 / (4.0 + mean))
    units = np.where(rng.random(mean.shape) < order_p, qty, 0)
    truth = Truth(kind=kind, onset=0, drop=drop, order_p=order_p[:, 0], order_mean=order_mean)
    return SimpleNamespace(units=units, technical=np.zeros(n, bool)), truth


def test_posterior_by_hand():
    # One empty week, mean 2 units an order, drop 0.5: NB(4) pmf(0) = (4 / (4 + mean))^4.
    priors = [0.5, 0.25, 0.25]
    post = churn_posterior(
        [[0], [0], [3]], np.array([1.0, 0.5, 1.0]), np.full((3, 1), 2.0), priors, [0.5]
    )
    nb0, nb0_half = (4 / 6) ** 4, (4 / 5) ** 4
    full = 0.25 / (0.25 + 0.5 * nb0 + 0.25 * nb0_half)
    assert post[0, 2] == pytest.approx(full, rel=1e-12)
    # Ordering every other week: P(0 units) = 1/2 + 1/2 pmf(0).
    zero, zero_half = 0.5 + 0.5 * nb0, 0.5 + 0.5 * nb0_half
    assert post[1] == pytest.approx(
        np.array([0.5 * zero, 0.25 * zero_half, 0.25]) / (0.5 * zero + 0.25 * zero_half + 0.25)
    )
    # 3 units rule out full churn; normal vs partial by the NB(4) pmf(3) = C(6, 3) p^4 (1 - p)^3.
    pmf3 = 20 * (4 / 6) ** 4 * (2 / 6) ** 3, 20 * (4 / 5) ** 4 * (1 / 5) ** 3
    assert post[2] == pytest.approx(
        np.array([0.5 * pmf3[0], 0.25 * pmf3[1], 0]) / (0.5 * pmf3[0] + 0.25 * pmf3[1])
    )
    assert np.allclose(post.sum(1), 1.0)


def test_weekly_buyers_full_churn_ceiling_is_one():
    partial, full = churn_ceiling(*lumpy(5_000, 1.0))
    assert full["kind"] == "full_churn" and full["planted"] > 150
    assert full["recall"] > 0.97 and full["precision"] >= 0.7
    assert full["recall_by_order_every"][1] == full["recall"]
    assert np.isnan(full["recall_by_order_every"][4])
    assert 0.5 < partial["recall"] < full["recall"] and partial["precision"] >= 0.7


def test_quarterly_buyers_full_churn_ceiling():
    # An order every 4 weeks: 6 empty weeks happen to >= 0.75^6 = 18% of normal buyers, so at
    # 4% full churn P(full | 6 empty weeks) <= 0.04 / (0.04 + 0.96 * 0.178) < 0.7.
    _, full = churn_ceiling(*lumpy(5_000, 0.25))
    assert full["planted"] > 150 and full["recall"] < 0.05
    # Only a much larger prior lifts it (the oracle does flag when precision allows).
    _, full = churn_ceiling(*lumpy(5_000, 0.25, shares=(0.05, 0.4)))
    assert full["recall"] > 0.9 and full["precision"] >= 0.7


def test_mixed_buyers_ceiling(seed=0):
    # The order frequencies of ``simulate``: full churn is certain within 6 weeks for buyers
    # every 1-2 weeks, hopeless every 4; partial churn stays out of reach.
    every = np.random.default_rng(99).choice([1, 2, 3, 4], 20_000, p=[0.3, 0.35, 0.2, 0.15])
    batch, truth = lumpy(20_000, 1 / every, seed=seed)
    partial, full = churn_ceiling(batch, truth)
    by_freq = full["recall_by_order_every"]
    assert by_freq[1] == by_freq[2] == 1.0 and 0.2 < by_freq[3] < 0.9 and by_freq[4] < 0.05
    assert 0.6 < full["recall"] < 0.9 and full["precision"] >= 0.7
    assert 0.4 < partial["recall"] < 0.75 and partial["precision"] >= 0.7
    # The optimal rule beats flagging on P(partial) alone (a full churn is no false alarm).
    post = churn_posterior(batch.units, truth.order_p, truth.order_mean, [0.91, 0.05, 0.04])
    planted, fine = truth.kind == "partial_churn", truth.kind != ""
    order = np.argsort(-post[:, 1])
    precision = np.cumsum(fine[order]) / np.arange(1, order.size + 1)
    naive = planted[order][: np.flatnonzero(precision >= 0.7)[-1] + 1].sum() / planted.sum()
    assert partial["recall"] > naive + 0.03


def test_simulate_oracle_keeps_random_stream():
    batch, truth = simulate(2_000, n_weeks=62, onset=54, seed=1)
    again, oracle = simulate(2_000, n_weeks=62, onset=54, seed=1, oracle=True)
    assert truth.order_mean is None and oracle.order_mean.shape == (2_000, 62)
    assert np.array_equal(batch.units, again.units)
    assert np.array_equal(truth.kind, oracle.kind) and np.array_equal(truth.drop, oracle.drop)
    assert np.isnan(oracle.order_mean[batch.technical]).all()
    assert (oracle.order_mean[~batch.technical] >= 0).all()
    partial, full = churn_ceiling(again, oracle, delay=8)
    assert full["recall_by_order_every"][1] == 1.0 and 0 < partial["recall"] <= 1
