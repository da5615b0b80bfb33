"""The value forecast's pure functions on small hand-checked cases."""

import numpy as np
import pandas as pd
import pytest

from insights.stats import value as V

AS_OF = pd.Timestamp("2026-06-30")


def lines_of(rows):
    return pd.DataFrame(rows, columns=["client", "family", "date", "value"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def day(n):
    """``n`` days after AS_OF (negative: before)."""
    return AS_OF + pd.Timedelta(days=n)


def test_windows_target_and_both_baselines():
    lines = lines_of(
        [
            ("A", "f", day(-10), 100.0),  # last quarter
            ("A", "f", day(-90), 50.0),  # last quarter (91-day window includes day -90)
            ("A", "f", day(-91), 7.0),  # exactly 91 days before: the quarter before
            ("A", "f", day(-364 + 10), 300.0),  # same quarter last year
            ("A", "f", day(-364 + 91), 40.0),  # its last day
            ("A", "f", day(-364 + 92), 999.0),  # a day after it: not in it
            ("A", "f", day(5), 200.0),  # the target
            ("A", "f", day(5), -20.0),  # a return in the target: netted
            ("A", "f", day(92), 999.0),  # after the 13 weeks
            ("B", "f", day(-30), 60.0),
        ]
    )
    clients = ["A", "B", "C"]
    assert V.last_quarter(lines, AS_OF, clients).tolist() == [150.0, 60.0, 0.0]
    assert V.future_value(lines, AS_OF, clients).tolist() == [180.0, 0.0, 0.0]
    assert V.same_quarter_last_year(lines, AS_OF, clients).tolist() == [340.0, 0.0, 0.0]
    X = V.value_features(lines, AS_OF, ["A", "B"])
    assert X.loc["A", "value_prev_quarter"] == 7.0
    assert X.loc["A", "value_last_quarter"] == 150.0


def test_metrics_mape_skips_zero_actuals_and_coverage_counts_the_ends():
    actual = [100.0, 200.0, 0.0, 50.0]
    expected = [110.0, 150.0, 30.0, 50.0]
    m = V.metrics(actual, expected, low=[90, 160, 0, 50], high=[120, 250, 10, 60])
    assert m["mae"] == pytest.approx((10 + 50 + 30 + 0) / 4)
    # MAPE over the three positive actuals: 10 %, 25 %, 0 %.
    assert m["mape"] == pytest.approx((0.10 + 0.25 + 0.0) / 3)
    assert m["wape"] == pytest.approx(90 / 350)
    # 100 in [90, 120]; 200 in [160, 250]; 0 in [0, 10]; 50 on the low end of [50, 60].
    assert m["coverage"] == 1.0
    m = V.metrics(actual, expected, low=[101, 160, 1, 50], high=[120, 250, 10, 60])
    assert m["coverage"] == 0.5


def test_empirical_interval_is_multiplicative_on_one_plus_value():
    # Residuals log1p(actual) - log1p(pred): forecasts of 99 (log1p = log 100) against actuals
    # of 49, 99 and 199 give -log 2, 0, +log 2 (rough, the +1 of log1p aside).
    pred = np.full(3, 99.0)
    actual = np.array([49.0, 99.0, 199.0])
    lo, hi = V.residual_quantiles(pred, actual, level=1.0)
    assert lo == pytest.approx(np.log(50 / 100))
    assert hi == pytest.approx(np.log(200 / 100))
    low, high = V.empirical_interval(np.array([999.0, 0.0]), (lo, hi))
    assert low == pytest.approx([499.0, -0.5])
    assert high == pytest.approx([1999.0, 1.0])


def test_twins_sum_adds_units_times_price_per_client_and_scales_the_horizon():
    s = V.twins_sum(
        pair_client=[0, 0, 1],
        forecast_units=[10.0, 2.0, 4.0],
        unit_price=[5.0, 100.0, np.nan],  # an unknown price counts as 0
        scale=13 / 8,
    )
    assert s.loc[0] == pytest.approx((50 + 200) * 13 / 8)
    assert s.loc[1] == 0.0


def test_room_to_grow_needs_half_again_and_a_thousand_euros():
    expected = [3000.0, 1400.0, 1500.0, 5000.0, 900.0]
    last_q = [1000.0, 200.0, 1000.0, 4000.0, -50.0]
    # 3000 >= 1.5 x 1000 and 2000 above: room 2000. 1400 vs 200: room 1200. 1500 vs 1000:
    # 1.5 x but only 500 above. 5000 vs 4000: 1,000 above but 1.25 x. 900 vs a return: < 1,000.
    assert V.room_to_grow(expected, last_q).tolist() == [2000.0, 1200.0, 0.0, 0.0, 0.0]


def test_conformal_margin_widens_an_interval_that_misses():
    # Scores max(lo - y, y - hi): 10, -5, 20, -1; n = 4, level 0.5: the ceil(5 x 0.5) = 3rd
    # smallest of -5, -1, 10, 20.
    lo = np.array([100.0, 0.0, 0.0, 0.0])
    hi = np.array([200.0, 50.0, 80.0, 60.0])
    y = np.array([90.0, 5.0, 100.0, 59.0])
    assert V.conformal_margin(lo, hi, y, level=0.5) == 10.0


def _quarters(n_clients=60, weeks=160, seed=1):
    """Clients buying a steady weekly amount each (10-200 euros), with noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_clients):
        size = 10.0 + 190.0 * c / n_clients
        for w in range(weeks):
            rows.append((c, "f", AS_OF - pd.Timedelta(weeks=w), size * rng.uniform(0.8, 1.2)))
    return lines_of(rows)


def test_boosting_learns_a_steady_world_and_its_interval_covers():
    lines = _quarters()
    dates = V.snapshot_dates(AS_OF, n=6, step_days=28)
    X, y = V.training_frame(lines, dates)
    assert len(y) == 360
    model = V.fit(X, y)
    assert model.has_signal
    # Tested on a date it was not trained on, whose 13 weeks are inside the data.
    t = AS_OF - pd.Timedelta(days=V.HORIZON_DAYS)
    Xt, yt = V.training_frame(lines, [t])
    e, lo, hi = model.predict(Xt)
    assert np.all(lo <= e) and np.all(e <= hi)
    m = V.metrics(yt, e, lo, hi)
    assert m["mape"] < 0.1  # a steady client's next quarter is its last one, give or take
    assert m["coverage"] >= 0.8


def test_too_few_rows_fall_back_to_last_quarter():
    lines = _quarters(n_clients=5)
    X, y = V.training_frame(lines, V.snapshot_dates(AS_OF, n=3, step_days=28))
    model = V.fit(X, y)
    assert not model.has_signal
    e, lo, hi = model.predict(X)
    assert e.tolist() == X["value_last_quarter"].tolist()
    assert np.all(lo <= e) and np.all(e <= hi)
