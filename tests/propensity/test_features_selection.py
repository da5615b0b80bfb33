"""The features added for the planted drivers (hand-checked small cases) and the rolling-origin
choice of the production model."""

import numpy as np
import pytest

from recommender.propensity.stats import History, learn
from recommender.propensity.stats import features as F

T = np.datetime64("2025-01-06")


def _history(rows, n_clients, n_families=3, **kw):
    c, f, d, e = zip(*rows, strict=True)
    return History(
        client=np.array(c, dtype=int),
        family=np.array(f, dtype=int),
        day=np.array(d, dtype="datetime64[D]"),
        euros=np.array(e, dtype=float),
        n_clients=n_clients,
        n_families=n_families,
        **kw,
    )


def _pair(snap, client, family):
    return int(np.flatnonzero((snap.client == client) & (snap.family == family))[0])


def test_cooccurrence_lifts_add_up_over_the_families_the_client_buys():
    # 10 clients buy family 0; clients 0-5 buy family 1; clients 0-4 buy family 2.
    day = np.datetime64("2024-10-01")
    rows = [(c, 0, day, 100.0) for c in range(10)]
    rows += [(c, 1, day, 50.0) for c in range(6)]
    rows += [(c, 2, day, 80.0) for c in range(5)]
    s = F.snapshot(_history(rows, 10), T)
    # Client 5 buys 0 and 1, not 2: P(2) = 5/10, P(2 | 0) = 5/10 (lift 1), P(2 | 1) = 5/6.
    i = _pair(s, 5, 2)
    assert s.column("co_lift_max")[i] == pytest.approx(5 / 3)
    assert s.column("co_loglift_sum")[i] == pytest.approx(np.log(5 / 3))
    # Client 6 buys only 0: every buyer of 0 is a client, so 0 says nothing about 1.
    j = _pair(s, 6, 1)
    assert s.column("co_lift_max")[j] == pytest.approx(1.0)
    assert s.column("co_loglift_sum")[j] == pytest.approx(0.0)


def _starts_history(extra=()):
    # Before T0 = T - 26 weeks all 4 clients buy family 0 and clients 0, 1 buy family 1; in
    # [T0, T) clients 0 and 1 start family 2.
    rows = [(c, 0, np.datetime64("2024-03-01"), 100.0) for c in range(4)]
    rows += [(c, 1, np.datetime64("2024-04-01"), 50.0) for c in (0, 1)]
    rows += [(c, 2, np.datetime64("2024-09-01"), 70.0) for c in (0, 1)]
    return _history(rows + list(extra), 4, segment=np.array([0, 0, 1, 1]))


def test_past_start_rates_by_owned_family_and_segment_by_hand():
    h = _starts_history()
    rate, lift, seg = F.start_rates(h, T, origins=(26,), prior=2.0)
    # Family 2: 4 candidates, 2 started: (2 + 0.5) / (4 + 1).
    assert rate[2] == pytest.approx(0.5)
    # Among the owners of family 1 (clients 0, 1): (2 + 2 * 0.5) / (2 + 2) = 0.75.
    assert lift[1, 2] == pytest.approx(np.log(0.75 / 0.5))
    # Owners of family 0 are every candidate: no lift.
    assert lift[0, 2] == pytest.approx(0.0)
    # Segment 0 (clients 0, 1) like the owners of 1; segment 1: (0 + 1) / (2 + 2) = 0.25.
    assert seg[0, 2] == pytest.approx(np.log(1.5))
    assert seg[1, 2] == pytest.approx(np.log(0.5))


def test_start_rates_use_only_windows_that_end_by_the_as_of_date():
    h = _starts_history()
    later = _starts_history(extra=[(2, 2, T, 9.0), (3, 2, T + 30, 9.0)])  # on and after T
    for a, b in zip(F.start_rates(h, T), F.start_rates(later, T), strict=True):
        np.testing.assert_array_equal(a, b)
    # A 13-week-old origin's window would end after T: no past window, no lift.
    rate, lift, seg = F.start_rates(h, T, origins=(13,))
    assert (rate == 0.5).all() and (lift == 0).all() and (seg == 0).all()


def test_size_index_is_the_clients_order_size_against_the_familys_median():
    day = np.datetime64("2024-10-01")
    rows = [(0, 0, day, 100.0), (1, 0, day, 200.0), (2, 0, day, 400.0), (2, 1, day, 30.0)]
    rows += [(1, 1, day, 30.0)]
    h = _history(rows, 4)
    idx = F.size_index(h, h.before(T))
    # Family 0's median is 200, family 1's 30: client 2 is (log 2 + log 1) / 2.
    np.testing.assert_allclose(idx, [np.log(0.5), 0.0, np.log(2) / 2, 0.0])


def test_campaign_weeks_count_the_half_year_before_the_as_of_date_only():
    h = _history(
        [(0, 0, np.datetime64("2024-10-01"), 1.0)],
        1,
        campaign_family=[1, 1, 2, 0],
        campaign_start=[T - 30, T - 100, T, T - 400],
        campaign_end=[T + 10, T - 87, T + 13, T - 387],
    )
    weeks = F.campaign_weeks(h, T)
    # Family 1: 30 days up to T of the running one, 14 days of the earlier one; family 2's
    # starts on T (not known yet); family 0's ended a year ago.
    np.testing.assert_allclose(weeks, [0.0, (30 + 14) / 7, 0.0])


def test_potential_relative_to_spend_and_recency_over_the_usual_gap():
    # Client 0 buys family 0 every week until 5 weeks before T (48 weeks), 100 € each;
    # it states a potential of 9,600 € a year in family 1.
    weeks = [T - 7 * k for k in range(5, 53)]
    rows = [(0, 0, d, 100.0) for d in weeks] + [(1, 0, T - 10, 50.0), (1, 1, T - 10, 5.0)]
    pot = np.full((2, 3), np.nan)
    pot[0, 1] = 9600.0
    s = F.snapshot(_history(rows, 2, potential=pot), T)
    i = _pair(s, 0, 1)
    assert s.column("potential_ratio")[i] == pytest.approx(np.log(9600) - np.log1p(4800))
    assert s.column("potential_ratio")[_pair(s, 0, 2)] == 0.0  # no potential stated
    # The last purchase is 5 weeks old; the usual gap is 52 / 48 weeks.
    assert s.column("recency_w")[i] == 5
    assert s.column("recency_gap")[i] == pytest.approx(5 * 48 / 52)


# --- The choice --------------------------------------------------------------------------


def test_each_validation_date_trains_on_the_dates_whose_windows_end_by_it():
    group = np.repeat(np.arange(5), 10)
    y = np.tile([1, 0], 25)
    folds = learn.validation_folds(group, y)
    assert [d for _t, _h, d in folds] == [2, 3, 4]  # the last 3 dates
    for train, hold, d in folds:
        assert set(group[train]) == set(range(d - 1))  # 2 steps of 13 weeks = 26 weeks
        assert set(group[hold]) == {d}
    # With two dates only, the last one against the first.
    two = learn.validation_folds(np.repeat([0, 1], 10), np.tile([1, 0], 10))
    assert [(set(np.repeat([0, 1], 10)[t]), d) for t, _h, d in two] == [({0}, 1)]


class _Column:
    """A fake fitted model whose probability is one column of X."""

    def __init__(self, col):
        self.col = col

    def predict_proba(self, X):
        p = X[:, self.col]
        return np.column_stack([1 - p, p])


def test_the_choice_prefers_the_model_steady_over_the_validation_dates_to_last_dates_luck(
    monkeypatch,
):
    rng = np.random.default_rng(3)
    n, dates = 400, 5
    group = np.repeat(np.arange(dates), n)
    y = (rng.random(n * dates) < 0.2).astype(int)
    # "steady" is a fair probability on every date; "lucky" ranks better than it on the last
    # date only and is noise on the others.
    steady = np.where(y == 1, 0.25, 0.1) + 0.2 * rng.random(n * dates)
    lucky = rng.random(n * dates)
    last = group == dates - 1
    lucky[last] = np.where(y[last] == 1, 0.45, 0.0) + 0.55 * rng.random(last.sum())
    X = np.column_stack([group, steady, lucky])
    trained_on = []

    def fitter(col):
        def fit(Xt, yt, seed):
            trained_on.append(int(Xt[:, 0].max()))
            return _Column(col)

        return fit

    monkeypatch.setattr(learn, "FITTERS", {"lucky": fitter(2), "steady": fitter(1)})
    fitted = learn.choose_and_fit(X, y, group, np.zeros(len(y)), candidates=("lucky", "steady"))
    val = fitted.validation
    last_pr = {k: v["per_date"][-1]["pr_auc"] for k, v in val.items()}
    assert last_pr["lucky"] > last_pr["steady"]  # the old rule (last date, PR-AUC) kept "lucky"
    assert fitted.kind == "steady"
    assert val["steady"]["log_loss"] < val["lucky"]["log_loss"]
    by_date = [r["log_loss"] for r in val["steady"]["per_date"]]
    assert val["steady"]["log_loss"] == pytest.approx(np.mean(by_date))
    assert 0.1 < fitted.threshold < 0.45  # F1-best on the validation rows
    # Folds of dates 2, 3, 4 trained on dates up to 0, 1, 2; then the refit on all dates.
    assert trained_on == [0, 1, 2, 0, 1, 2, 4]


def test_a_better_calibrated_model_wins_over_an_equal_ranking(monkeypatch):
    rng = np.random.default_rng(5)
    group = np.repeat(np.arange(4), 300)
    y = (rng.random(1200) < 0.1).astype(int)
    calibrated = np.where(y == 1, 0.3, 0.05) + 0.05 * rng.random(1200)
    inflated = np.clip(calibrated * 3, 0, 1)  # the same order, probabilities 3 times too high
    X = np.column_stack([group, inflated, calibrated])
    monkeypatch.setattr(
        learn, "FITTERS", {"inflated": lambda *a: _Column(1), "calibrated": lambda *a: _Column(2)}
    )
    fitted = learn.choose_and_fit(
        X, y, group, np.zeros(1200), candidates=("inflated", "calibrated")
    )
    val = fitted.validation
    assert val["inflated"]["pr_auc"] == pytest.approx(val["calibrated"]["pr_auc"])
    assert fitted.kind == "calibrated"
