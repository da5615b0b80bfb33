"""The pure statistics of launch targeting: Gower distance, rules, bands, launch dates."""

import numpy as np
import pandas as pd
import pytest

from recommender.launch import stats

# ------------------------------------------------------------------ Gower


def test_gower_matches_the_gower_package_on_mixed_data():
    gower = pytest.importorskip("gower")
    rng = np.random.default_rng(3)
    n = 25
    frame = pd.DataFrame(
        {
            "family": rng.choice(["ANES", "IMPL", "BIOM"], n),
            "price": rng.uniform(5, 300, n).round(2),
            "kind": rng.choice(["commodity", "technical"], n),
            "size": rng.integers(1, 50, n).astype(float),
        }
    )
    cats = [True, False, True, False]
    weights = np.array([2.0, 1.0, 0.5, 1.5])
    expected = gower.gower_matrix(frame, weight=weights, cat_features=cats)
    ours = stats.gower_distance(frame.to_numpy(object), frame.to_numpy(object), cats, weights)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    # Between two different sets too (ranges from both sets together, as the package does).
    a, b = frame.iloc[:10], frame.iloc[10:]
    expected = gower.gower_matrix(a, b, weight=weights, cat_features=cats)
    ours = stats.gower_distance(a.to_numpy(object), b.to_numpy(object), cats, weights)
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_gower_hand_checked_cases():
    x = np.array([["ANES", 10.0], ["IMPL", 20.0], ["ANES", 30.0]], dtype=object)
    cats = [True, False]
    d = stats.gower_distance(x, x, cats)
    # range of price 20: (1 + 10/20) / 2, (0 + 20/20) / 2, (1 + 10/20) / 2
    assert d[0, 1] == pytest.approx(0.75)
    assert d[0, 2] == pytest.approx(0.5)
    assert d[1, 2] == pytest.approx(0.75)
    assert np.allclose(np.diag(d), 0)
    # A weight of 3 on the family: (3 * 1 + 1 * 0.5) / 4
    d = stats.gower_distance(x, x, cats, weights=[3.0, 1.0])
    assert d[0, 1] == pytest.approx(0.875)
    # A weight of 0 ignores the column.
    d = stats.gower_distance(x, x, cats, weights=[0.0, 1.0])
    assert d[0, 1] == pytest.approx(0.5)


def test_gower_leaves_missing_values_out_of_the_pair():
    x = np.array(
        [["ANES", 10.0, "box"], [None, 20.0, "box"], ["ANES", np.nan, None], [None, None, None]],
        dtype=object,
    )
    cats = [True, False, True]
    d = stats.gower_distance(x, x, cats)
    # Row 1 has no family: only price (10/10 = 1) and format (0) count -> 0.5.
    assert d[0, 1] == pytest.approx(0.5)
    # Row 2 has only the family: equal -> 0.
    assert d[0, 2] == pytest.approx(0.0)
    # Rows 1 and 2 share no column -> unknown.
    assert np.isnan(d[1, 2])
    # A row with nothing at all is unknown to everyone.
    assert np.isnan(d[3]).all()


def _products(rows):
    return pd.DataFrame(
        rows, columns=["product", "family", "line", "kind", "price", "launch_date"]
    ).assign(launch_date=lambda f: pd.to_datetime(f["launch_date"]))


def test_product_without_family_or_attributes_is_compared_on_what_it_has():
    products = _products(
        [
            (1, "IMPL", "SURG", "technical", 180.0, None),
            (2, None, None, None, 190.0, None),  # no family: price only
            (3, "IMPL", "SURG", "technical", 200.0, None),
        ]
    )
    matrix, cats, w, cols = stats.product_matrix(products)
    assert cols == ["family", "line", "kind", "log_price"]  # no free attributes: base columns
    d = stats.gower_distance(matrix, matrix, cats, w)
    assert np.isfinite(d).all()
    assert 0 < d[1, 0] < 1
    sim = 1 - d
    # A client who buys only the family-less product still gets a finite appetence.
    app = stats.appetence(np.array([[0.0, 1.0, 0.0]]), sim[:, [2]])
    assert 0 < app[0, 0] < 1


def test_free_attributes_numeric_or_categorical_and_weights():
    products = _products(
        [(1, "A", "L", "commodity", 10.0, None), (2, "A", "L", "commodity", 10.0, None)]
    )
    products["attr:size"] = [1, 3]
    products["attr:colour"] = ["red", None]
    matrix, cats, w, cols = stats.product_matrix(products, weights={"size": 2.0})
    assert cols[-2:] == ["colour", "size"]
    assert list(cats[-2:]) == [True, False]
    assert w[-1] == 2.0
    d = stats.gower_distance(matrix, matrix, cats, w)
    # colour missing on one side; size differs by the whole range, weight 2 of 6 in total.
    assert d[0, 1] == pytest.approx(2.0 / 6.0)


def test_appetence_prefers_products_close_to_what_the_client_buys():
    products = _products(
        [
            (1, "IMPL", "SURG", "technical", 180.0, None),
            (2, "ANES", "ANEST", "commodity", 30.0, None),
            (3, "IMPL", "SURG", "technical", 190.0, None),  # new implant
        ]
    )
    m, c, w, _ = stats.product_matrix(products)
    sim = 1 - stats.gower_distance(m, m, c, w)
    shares = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    app = stats.appetence(shares, sim[:, [2]])[:, 0]
    assert app[0] > 0.9 > 0.2 > app[1]
    assert app[2] == 0  # buys nothing


# ------------------------------------------------------------------ rules


def test_rules_fire_for_repeat_and_fast_adopters():
    adopted = np.array([[True, True, False], [False, True, False], [False, False, False]])
    weeks = np.array([[1.0, 2.0, np.nan], [np.nan, 8.0, np.nan], [np.nan] * 3])
    hist = pd.DataFrame({"spend": [1000.0, 5000.0, 100.0], "families": [5, 2, 1]})
    score, fired = stats.rule_scores(adopted, weeks, hist)
    codes = [[r["rule"] for r in f] for f in fired]
    assert codes[0] == ["repeat", "fast", "broad"]
    assert fired[0][0]["value"] == 2 and fired[0][0]["of"] == 3
    assert codes[1] == ["spend"]  # one adoption, slow: half repeat credit, no rule named
    assert codes[2] == []
    assert score[0] > score[1] > score[2]
    assert 0 <= score.min() and score.max() <= 1


def test_adoption_counts_only_closed_windows_and_the_past():
    lines = pd.DataFrame(
        {
            "client": [1, 2, 1],
            "product": [10, 10, 20],
            "family": [1, 1, 1],
            "date": pd.to_datetime(["2025-01-10", "2025-06-01", "2025-05-20"]),
            "units": [1.0, 1.0, 1.0],
            "value": [10.0, 10.0, 10.0],
        }
    )
    launches = [(pd.Timestamp("2025-01-06"), [10]), (pd.Timestamp("2025-05-19"), [20])]
    adopted, weeks, used = stats.adoption(lines, [1, 2], launches, "2025-06-30")
    assert len(used) == 1  # the second launch's 12 weeks are not over on 2025-06-30
    assert adopted[:, 0].tolist() == [True, False]  # client 2 bought after 12 weeks
    assert weeks[0, 0] == pytest.approx(4 / 7)


def test_launch_dates_known_or_inferred_from_first_sale():
    products = _products(
        [
            (1, "A", "L", "commodity", 1.0, "2025-03-03"),
            (2, "A", "L", "commodity", 1.0, None),
            (3, "A", "L", "commodity", 1.0, None),
            (4, "A", "L", "commodity", 1.0, None),
        ]
    )
    lines = pd.DataFrame(
        {
            "client": [1, 1, 1, 1],
            "product": [3, 2, 2, 1],
            "family": [1] * 4,
            "date": pd.to_datetime(["2024-01-01", "2025-04-10", "2025-05-01", "2025-03-10"]),
            "units": [1.0] * 4,
            "value": [1.0] * 4,
        }
    )
    dates = stats.launch_dates(products, lines)
    assert dates[1] == pd.Timestamp("2025-03-03")  # known
    assert dates[2] == pd.Timestamp("2025-04-10")  # first sale
    assert pd.isna(dates[3])  # sold from the first day of the data: not a launch
    assert pd.isna(dates[4])  # never sold, no date


# ------------------------------------------------------------------ subgroups


def test_band_table_counts_and_conversion():
    look = np.array([0.8, 0.75, 0.9, 0.1, 0.2, 0.1, 0.55])
    app = np.array([0.5, 0.45, 0.55, 0.1, 0.1, 0.1, 0.9])
    bought = np.array([1, 1, 0, 0, 0, 1, 1], dtype=bool)
    table = stats.band_table(look, app, bought, shrink=0.0)
    cell = table.query("look_lo == 0.7 and app_lo == 0.4").iloc[0]
    assert (cell.n, cell.buyers) == (3, 2)
    assert cell.conversion == pytest.approx(2 / 3)
    low = table.query("look_lo == 0.0 and app_lo == 0.0").iloc[0]
    assert (low.n, low.buyers) == (3, 1)
    assert table["n"].sum() == 7
    assert table.query("n == 0")["conversion"].isna().all()
    # Shrinkage pulls a small band toward the overall rate (4/7).
    shrunk = stats.band_table(look, app, bought, shrink=7.0)
    top = shrunk.query("look_lo == 0.5 and app_lo == 0.6").iloc[0]
    assert top.conversion == 1.0
    assert top.shrunk == pytest.approx((1 + 7 * 4 / 7) / (1 + 7))


def test_band_edges_include_the_top_value():
    assert stats.band_index([0.0, 0.29, 0.3, 0.7, 1.0], stats.LOOK_EDGES).tolist() == [
        0,
        0,
        1,
        3,
        3,
    ]


def test_select_targets_takes_each_reps_best():
    combined = np.array([0.9, 0.1, 0.5, 0.4, 0.8, 0.3])
    reps = np.array([1, 1, 1, 2, 2, 2], dtype=object)
    chosen = stats.select_targets(combined, reps, 2)
    assert chosen.tolist() == [True, False, True, True, True, False]
