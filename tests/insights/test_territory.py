"""Territory ranking, pure part: figures per unit, components, weighted score, rank, tier.

Every expected number below is worked out by hand in the comment next to it.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from insights.stats import territory as T


def figures(rows):
    cols = ["unit", "revenue", "revenue_prev", "active_clients", "captured", "potential"]
    return pd.DataFrame(rows, columns=cols).set_index("unit")


THREE = figures(
    [
        # unit, revenue, a year before, active clients, captured, potential
        ("A", 1000, 800, 10, 300, 1000),
        ("B", 500, 500, 20, 200, 400),
        ("C", 250, 0, 5, 0, 0),  # new: no last year, no potential stated
    ]
)


def test_components_of_three_units_by_hand():
    c = T.components(THREE)
    # Revenue, % of the best (1000): 100, 50, 25.
    assert c["revenue"].tolist() == pytest.approx([100, 50, 25])
    # Active clients, % of the best (20): 50, 100, 25.
    assert c["clients"].tolist() == pytest.approx([50, 100, 25])
    # Growth: A +25 %, B 0 %, C none; min-max over A and B: 100, 0.
    assert c["growth_rate"]["A"] == pytest.approx(0.25)
    assert c.loc[["A", "B"], "growth"].tolist() == pytest.approx([100, 0])
    assert np.isnan(c.loc["C", "growth"])
    # Share captured: A 0.3, B 0.5 (the best), C none: 60, 100.
    assert c.loc[["A", "B"], "potential"].tolist() == pytest.approx([60, 100])
    assert np.isnan(c.loc["C", "potential"])


def test_weighted_score_rank_and_tier_by_hand():
    s = T.score(THREE)
    # A: .35*100 + .30*50 + .20*100 + .15*60 = 35 + 15 + 20 + 9 = 79 -> premium (> 70)
    # B: .35*50 + .30*100 + .20*0 + .15*100 = 17.5 + 30 + 0 + 15 = 62.5 -> standard
    # C: growth and potential missing: (35*25 + 30*25) / 65 = 25 -> underperforming (< 40)
    assert s.index.tolist() == ["A", "B", "C"]
    assert s["score"].tolist() == pytest.approx([79, 62.5, 25])
    assert s["rank"].tolist() == [1, 2, 3]
    assert s["tier"].tolist() == ["premium", "standard", "underperforming"]


def test_weights_are_divided_by_their_sum_and_reorder_the_ranking():
    # Only active clients count: B (100) first, then A (50), then C (25).
    s = T.score(THREE, {"revenue": 0, "clients": 2, "growth": 0, "potential": 0})
    assert s.index.tolist() == ["B", "A", "C"]
    assert s["score"].tolist() == pytest.approx([100, 50, 25])
    same = T.score(THREE, {"revenue": 0.35, "clients": 0.30, "growth": 0.20, "potential": 0.15})
    assert same["score"].tolist() == pytest.approx([79, 62.5, 25])


@pytest.mark.parametrize(
    "weights",
    [
        {"revenue": -1, "clients": 1, "growth": 0, "potential": 0},
        {"revenue": 0, "clients": 0, "growth": 0, "potential": 0},
    ],
)
def test_negative_or_all_zero_weights_are_refused(weights):
    with pytest.raises(ValueError):
        T.score(THREE, weights)


def test_a_single_unit_is_the_best_of_itself_and_its_growth_is_neutral():
    one = figures([("A", 100, 120, 3, 50, 100)])
    s = T.score(one)
    # revenue 100, clients 100, potential 100 (it is the best), growth 50 (no spread):
    # 35 + 30 + .20*50 + 15 = 90
    assert s.loc["A", "growth"] == 50
    assert s.loc["A", "score"] == pytest.approx(90)
    assert s.loc["A", "rank"] == 1


def test_equal_units_share_the_rank():
    two = figures([("A", 100, 100, 4, 10, 100), ("B", 100, 100, 4, 10, 100)])
    s = T.score(two)
    assert s["score"].tolist() == pytest.approx([90, 90])
    assert s["rank"].tolist() == [1, 1]


def test_no_revenue_anywhere_scores_zero_not_nan():
    # Nothing sold, nothing a year before, no potential: revenue and clients 0 for both.
    s = T.score(figures([("A", 0, 0, 0, 0, 0), ("B", 0, 0, 0, 0, 0)]))
    assert s["score"].tolist() == [0, 0]
    assert s["tier"].tolist() == ["underperforming"] * 2


def test_tier_bounds_are_strict_and_editable():
    assert T.tiers([70, 70.01, 40, 39.99]).tolist() == [
        "standard",
        "premium",
        "standard",
        "underperforming",
    ]
    # B's 62.5 is premium when premium starts above 60.
    s = T.score(THREE, premium_above=60, underperforming_below=30)
    assert s["tier"].tolist() == ["premium", "premium", "underperforming"]


def lines(rows):
    df = pd.DataFrame(rows, columns=["client", "family", "date", "value"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def test_unit_figures_by_hand():
    as_of = dt.date(2026, 6, 30)
    df = lines(
        [
            # client 1 (north): family 10 this year 300 + 200, a year before 400
            (1, 10, "2026-06-01", 300.0),
            (1, 10, "2025-12-01", 200.0),
            (1, 10, "2025-03-01", 400.0),
            # client 2 (north): only a return this year -> not active
            (2, 10, "2026-05-01", -50.0),
            # client 3 (south): family 11 this year 100
            (3, 11, "2026-01-15", 100.0),
            # after as_of: not read
            (3, 11, "2026-07-02", 999.0),
            # client 4: in no unit
            (4, 10, "2026-06-01", 70.0),
        ]
    )
    unit = pd.Series({1: "north", 2: "north", 3: "south", 4: np.nan})
    potential = pd.Series(
        {(1, 10): 400.0, (2, 10): 100.0, (3, 11): 1000.0, (3, 10): 0.0},
    )
    f = T.unit_figures(df, unit, potential, [as_of]).loc[as_of]
    assert f.index.tolist() == ["north", "south"]
    # north: 300 + 200 - 50 = 450 this year, 400 before; one active client (1).
    assert f.loc["north", "revenue"] == pytest.approx(450)
    assert f.loc["north", "revenue_prev"] == pytest.approx(400)
    assert f.loc["north", "active_clients"] == 1
    # Captured: client 1 min(500, 400) = 400, client 2 max(-50, 0) = 0; potential 500.
    assert f.loc["north", "captured"] == pytest.approx(400)
    assert f.loc["north", "potential"] == pytest.approx(500)
    # south: 100, nothing before, 1 active, captured 100 of 1000 (the zero potential ignored).
    assert f.loc["south"].tolist() == pytest.approx([100, 0, 1, 100, 1000])


def test_figures_and_scores_at_four_quarter_ends():
    ends = T.quarter_ends(dt.date(2026, 6, 30))
    assert ends == [
        dt.date(2025, 9, 30),
        dt.date(2025, 12, 30),
        dt.date(2026, 3, 31),
        dt.date(2026, 6, 30),
    ]
    # North sells 100 a week from the start; south starts in January 2026 at 300 a week.
    days = pd.date_range("2024-06-01", "2026-06-30", freq="7D")
    rows = [(1, 10, d, 100.0) for d in days] + [
        (2, 10, d, 300.0) for d in days if d >= pd.Timestamp("2026-01-01")
    ]
    unit = pd.Series({1: "north", 2: "south"})
    f = T.unit_figures(lines(rows), unit, pd.Series(dtype=float), ends)
    s = T.score_over_time(f)
    north = s.xs("north", level="unit")["score"]
    south = s.xs("south", level="unit")["score"]
    # Before south's first order north leads. At the last end south has ~26 x 300 = 7,800
    # against north's ~5,200: revenue 100 and clients 100 with no growth (no last year), 100;
    # north: (35 x 66.7 + 30 x 100 + 20 x 50 [growth alone]) / 85 (no potential), ~74.5.
    assert north.iloc[0] > south.iloc[0]
    assert south.iloc[-1] == pytest.approx(100)
    assert north.iloc[-1] == pytest.approx(74.5, abs=1)
    assert len(north) == len(south) == 4


def test_no_lines_gives_zero_figures_and_a_zero_score():
    empty = lines([])
    f = T.unit_figures(
        empty, pd.Series({1: "north"}), pd.Series({(1, 10): 500.0}), [dt.date(2026, 6, 30)]
    )
    # No revenue, no active client, nothing captured of the 500 stated.
    assert f.loc[dt.date(2026, 6, 30)].loc["north"].tolist() == [0, 0, 0, 0, 500]
    assert T.score(f.droplevel("as_of"))["score"].tolist() == [0]
