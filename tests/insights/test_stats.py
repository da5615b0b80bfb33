"""The pure statistics of insights on small hand-checked cases."""

import json

import numpy as np
import pandas as pd
import pytest

from insights.stats import churn as C
from insights.stats import features as F
from insights.stats import segments as S

AS_OF = "2026-06-30"


def lines_of(rows):
    return pd.DataFrame(rows, columns=["client", "family", "date", "value"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_features_of_a_client_ordering_every_ten_days():
    end = pd.Timestamp(AS_OF)
    rows = [("A", "f1", end - pd.Timedelta(days=10 * i + 20), 100.0) for i in range(30)]
    rows.append(("A", "f2", end - pd.Timedelta(days=800), 50.0))  # over two years ago
    rows.append(("A", "f1", end + pd.Timedelta(days=5), 999.0))  # after as_of: ignored
    rows.append(("A", "f1", end - pd.Timedelta(days=20), -30.0))  # a return, same day
    X = F.client_features(lines_of(rows), AS_OF).loc["A"]
    assert X["recency_days"] == 20
    assert X["median_gap_days"] == 10
    assert X["regularity"] == 0  # clockwork
    assert X["recency_ratio"] == 2.0
    # Orders in the last 365 days: ages 20, 30, ..., 310 -> 30 orders.
    assert X["frequency"] == 30
    assert X["monetary"] == pytest.approx(30 * 100 - 30)
    assert X["n_families"] == 1
    assert X["orders_90d"] == 7  # ages 20..80
    assert X["family_overdue_max"] == pytest.approx(2.0)  # f2 is older than the 2-year window
    assert X["tenure_days"] == 800


def test_family_bought_once_uses_at_least_ninety_days_as_its_gap():
    end = pd.Timestamp(AS_OF)
    rows = [("A", "f1", end - pd.Timedelta(days=7 * i), 10.0) for i in range(20)]
    rows.append(("A", "f2", end - pd.Timedelta(days=180), 10.0))
    X = F.client_features(lines_of(rows), AS_OF).loc["A"]
    # f2: 180 days silent against max(client's median gap 7, 90) = 90 -> 2 gaps.
    assert X["family_overdue_max"] == pytest.approx(2.0)
    assert X["families_silent"] == 0.0  # 2.0 is not more than twice


def _irregular_client():
    """Client B: family f1 bought at ages 10, 20, 40, 80, 160 days (100 euros each) and a
    20-euro return at age 5; family f2 at ages 250 and 300 (50 euros each)."""
    end = pd.Timestamp(AS_OF)
    rows = [("B", "f1", end - pd.Timedelta(days=a), 100.0) for a in (10, 20, 40, 80, 160)]
    rows += [("B", "f2", end - pd.Timedelta(days=a), 50.0) for a in (250, 300)]
    rows.append(("B", "f1", end - pd.Timedelta(days=5), -20.0))
    rows.append(("C", "f1", end - pd.Timedelta(days=3), 10.0))  # another client
    return lines_of(rows)


def test_features_of_an_irregular_client_checked_by_hand():
    X = F.client_features(_irregular_client(), AS_OF, ["B", "Z"])
    b = X.loc["B"]
    # Orders on 7 days; gaps between them 10, 20, 40, 80, 90, 50 -> median (40 + 50) / 2.
    assert b["recency_days"] == 10 and b["tenure_days"] == 300
    assert b["frequency"] == 7 and b["orders_90d"] == 4
    assert b["median_gap_days"] == 45
    gaps = np.array([10, 20, 40, 80, 90, 50])
    assert b["regularity"] == pytest.approx(gaps.std() / gaps.mean())
    assert b["recency_ratio"] == pytest.approx(10 / 45)
    assert b["monetary"] == pytest.approx(500 + 100 - 20)
    assert b["n_families"] == 2
    # Last 26 weeks 480 (with the return) against 100 before; last 13 weeks 380 against a
    # quarter of the year's 580.
    assert b["trend"] == pytest.approx(np.log(481 / 101))
    assert b["trend_13w"] == pytest.approx(np.log(381 / 146))
    # f1: 10 days silent against its median gap 30; f2: 250 days against 50 (silent).
    assert b["family_overdue_max"] == pytest.approx(5.0)
    assert b["family_overdue_mean"] == pytest.approx((10 / 30 + 5.0) / 2)
    assert b["families_silent"] == 0.5
    # A client without lines: ten years of recency, no value, every family silent.
    z = X.loc["Z"]
    assert (z["recency_days"], z["tenure_days"], z["median_gap_days"]) == (3650, 3650, 365)
    assert (z["frequency"], z["monetary"], z["trend"], z["families_silent"]) == (0, 0, 0, 1)


def test_one_history_gives_the_features_of_every_date_and_client_subset():
    lines = _irregular_client()
    history = F.History(lines)
    for days in (0, 45, 200):
        day = pd.Timestamp(AS_OF) - pd.Timedelta(days=days)
        expected = F.client_features(lines.loc[lines["date"] <= day], day)
        pd.testing.assert_frame_equal(history.features(day), expected)
    only_b = history.restrict(["B"])
    assert list(only_b.labels) == ["B"]
    pd.testing.assert_frame_equal(only_b.features(AS_OF), history.features(AS_OF, ["B"]))
    assert list(history.active(AS_OF, days=5)) == ["C"]


def test_no_order_within_counts_only_positive_lines_inside_the_horizon():
    end = pd.Timestamp(AS_OF)
    lines = lines_of(
        [
            ("A", "f", end + pd.Timedelta(days=30), 10.0),
            ("B", "f", end + pd.Timedelta(days=30), -10.0),  # a return is not an order
            ("C", "f", end + pd.Timedelta(days=91), 10.0),  # too late
            ("D", "f", end, 10.0),  # on as_of: before the horizon
        ]
    )
    assert list(F.no_order_within(lines, AS_OF, ["A", "B", "C", "D"])) == [
        False,
        True,
        True,
        True,
    ]


def test_quintiles_and_rfm_groups():
    assert list(S.quintile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    feats = pd.DataFrame(
        {
            "recency_days": [1, 2, 300, 400, 3] * 2,
            "frequency": [50, 40, 45, 2, 3] * 2,
            "monetary": [9000, 8000, 7000, 100, 200] * 2,
        }
    )
    rfm = S.rfm_scores(feats)
    assert rfm["group"].iloc[0] == "champions"  # recent, frequent, big
    assert rfm["group"].iloc[2] == "at_risk"  # big and frequent, but silent for long
    assert rfm["group"].iloc[3] == "hibernating"  # silent, small


def _population(n=400, seed=1):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 4, n)
    feats = pd.DataFrame(
        {
            "recency_days": np.where(groups == 3, rng.uniform(200, 300, n), rng.uniform(1, 10, n)),
            "frequency": np.where(groups == 1, rng.uniform(2, 6, n), rng.uniform(40, 52, n)),
            "monetary": np.where(
                groups == 0, rng.uniform(20000, 30000, n), rng.uniform(3000, 6000, n)
            ),
            "n_families": np.where(groups == 2, 1.0, 4.0),
            "regularity": rng.uniform(0.2, 0.4, n),
            "trend": rng.normal(0, 0.05, n),
        }
    )
    feats["recency_ratio"] = feats["recency_days"] / (365 / feats["frequency"])
    return feats, groups


def test_clustering_finds_the_planted_groups_and_names_them():
    feats, groups = _population()
    seg = S.cluster(feats)
    assert seg.k in (4, 5, 6)
    assert set(seg.silhouettes) == {4, 5, 6}
    codes = seg.client_codes()
    # Each planted group is (almost) one named segment.
    names = {g: pd.Series(codes[groups == g]).mode()[0] for g in range(4)}
    assert names[3] == "lapsed"
    assert names[2] == "single_family"
    assert names[1] == "occasional"
    assert names[0] == "premium_regulars"
    assert seg.profiles["share_clients"].sum() == pytest.approx(1.0)
    # Same data, same segments (fixed seeds).
    again = S.cluster(feats)
    assert (again.client_codes() == codes).all()


def test_churn_without_events_falls_back_to_the_recency_rule():
    X = pd.DataFrame({c: np.ones(50) for c in C.CHURN_FEATURES})
    X["snapshot"] = np.repeat([0, 1], 25)
    model = C.fit(X, np.zeros(50, bool))
    assert not model.has_signal
    X["recency_ratio"] = np.linspace(0, 10, 50)
    p = model.predict(X)
    assert p[0] < 0.1 and p[-1] > 0.9 and np.all(np.diff(p) >= 0)
    assert C.recency_rule(pd.DataFrame({"recency_ratio": [3.0]}))[0] == pytest.approx(0.5)


def test_reasons_of_a_client_without_an_answer_are_valid_json():
    """A missing value (no NPS answer: NaN) is stored as null: PostgreSQL's jsonb refuses NaN,
    and a refit of clients without a survey answer crashed there."""
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({c: rng.normal(size=n) for c in C.CHURN_FEATURES})
    X["nps_last"] = np.where(rng.random(n) < 0.5, np.nan, rng.integers(0, 11, n))
    X["snapshot"] = np.repeat(np.arange(4), n // 4)
    y = (X["recency_ratio"] + 0.5 * rng.normal(size=n)) > 1.0
    model = C.fit(X, y.to_numpy())
    assert model.has_signal
    test = X.head(20).copy()
    test["nps_last"] = np.nan
    test["recency_ratio"] = 3.0  # high risk: its reasons are listed
    why = C.reasons(model, test)
    json.dumps(why, allow_nan=False)  # raises on NaN
    assert any(r for r in why)
    assert all(v is None for r in why for name, v, _ in r if name == "nps_last")
    fallback = C.fit(X.assign(snapshot=0), np.zeros(n, bool))
    assert C.reasons(fallback, pd.DataFrame({"recency_ratio": [np.nan, 2.0]})) == [
        [("recency_ratio", None, None)],
        [("recency_ratio", 2.0, None)],
    ]


def test_churn_model_learns_a_planted_signal_and_is_calibrated_on_later_snapshots():
    rng = np.random.default_rng(0)
    n = 6000
    orders = [c for c in C.CHURN_FEATURES if c not in F.SIGNAL_COLUMNS]
    noise = np.random.default_rng(1)  # the signals: noise drawn apart from the planted draws
    X = pd.DataFrame({c: rng.normal(size=n) for c in orders})
    X[list(F.SIGNAL_COLUMNS)] = noise.normal(size=(n, len(F.SIGNAL_COLUMNS)))
    X["snapshot"] = np.repeat(np.arange(6), n // 6)
    logit = -3 + 2.0 * X["trend_13w"].to_numpy() * -1 + 1.5 * X["recency_ratio"].to_numpy()
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    model = C.fit(X, y)
    assert model.has_signal
    assert model.validation["calibration_auc"] > 0.8
    Xt = pd.DataFrame({c: rng.normal(size=2000) for c in orders})
    Xt[list(F.SIGNAL_COLUMNS)] = noise.normal(size=(2000, len(F.SIGNAL_COLUMNS)))
    lt = -3 - 2.0 * Xt["trend_13w"].to_numpy() + 1.5 * Xt["recency_ratio"].to_numpy()
    truth = 1 / (1 + np.exp(-lt))
    p = model.predict(Xt)
    assert abs(p.mean() - truth.mean()) < 0.03  # calibrated on average
    why = C.reasons(model, Xt.iloc[:5])
    top = [r[0][0] for r in why if r]
    assert set(top) <= {"recency_ratio", "trend_13w"}


def test_tiers_and_recall_at_precision():
    assert list(C.tiers([0.71, 0.7, 0.4, 0.39])) == ["high", "medium", "medium", "low"]
    assert list(C.tiers([0.5], high=0.45, medium=0.2)) == ["high"]
    y = np.array([1, 1, 0, 1, 0, 0], bool)
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    # Top 2: precision 1, recall 2/3; top 4: precision 3/4, recall 1.
    assert C.recall_at_precision(y, score, 0.7) == 1.0
    assert C.recall_at_precision(y, score, 0.8) == pytest.approx(2 / 3)


def test_training_sample_keeps_whole_histories_of_a_fixed_random_set_of_clients():
    lines = pd.DataFrame({"client": np.repeat(np.arange(100), 3), "value": 1.0})
    a = C.training_sample(lines, max_clients=10)
    b = C.training_sample(lines, max_clients=10)
    assert a["client"].nunique() == 10
    assert (a.groupby("client").size() == 3).all()  # every line of a sampled client
    assert a.equals(b)
    assert C.training_sample(lines, max_clients=500) is lines
