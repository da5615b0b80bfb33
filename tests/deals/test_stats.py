"""The pure statistics of the pipeline, on hand-made deals and on the planted-truth data."""

import numpy as np
import pandas as pd
import pytest

from deals.stats import features as F
from deals.stats import pipeline as P
from deals.stats import risk
from seeds.deals import generate

STAGES = {
    "Prospecting": (10, False, False, "open"),
    "Qualification": (20, False, True, "open"),
    "Proposal": (30, False, False, "open"),
    "Negotiation": (40, True, False, "open"),
    "Won": (90, True, False, "won"),
    "Lost": (95, False, False, "lost"),
}


def frames(deals, changes):
    d = pd.DataFrame(
        deals,
        columns=["id", "amount", "created", "closed", "outcome", "lead_source", "segment"],
    )
    d["region"], d["owner"] = "North", "1"
    d["expected_close"] = pd.NaT
    for col in ("created", "closed", "expected_close"):
        d[col] = pd.to_datetime(d[col]).astype("datetime64[ns]")
    rows = [(i, pd.Timestamp(day), name, *STAGES[name]) for i, day, name in changes]
    columns = ["deal_id", "date", "stage", "order", "late", "qualification", "stage_outcome"]
    c = pd.DataFrame(rows, columns=columns)
    c["date"] = c["date"].astype("datetime64[ns]")
    return d, c


def test_a_snapshot_sees_no_stage_change_after_its_date_nor_the_outcome():
    deals, changes = frames(
        [(1, 1000.0, "2026-01-01", "2026-03-01", "won", "inbound", "Retail")],
        [
            (1, "2026-01-01", "Prospecting"),
            (1, "2026-01-10", "Qualification"),
            (1, "2026-02-01", "Negotiation"),
            (1, "2026-03-01", "Won"),
        ],
    )
    pairs = pd.DataFrame(
        {"row": [0, 0, 0], "t": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-28"])}
    )
    f = F.features(deals, changes, pairs)
    assert list(f["stage"]) == ["Prospecting", "Qualification", "Negotiation"]
    assert list(f["days_in_stage"]) == [4, 10, 27]
    assert list(f["reached_late"]) == [False, False, True]
    # On the close date the deal is no longer open: it is not in a snapshot.
    assert len(F.open_pairs(deals, ["2026-03-01"])) == 0
    assert len(F.open_pairs(deals, ["2026-02-28"])) == 1


def test_skipping_qualification_is_seen_once_the_deal_moves_past_it():
    deals, changes = frames(
        [
            (1, 1000.0, "2026-01-01", None, "open", "partner", "Retail"),
            (2, 1000.0, "2026-01-01", None, "open", "inbound", "Retail"),
        ],
        [
            (1, "2026-01-01", "Prospecting"),
            (1, "2026-01-15", "Proposal"),
            (2, "2026-01-01", "Prospecting"),
            (2, "2026-01-08", "Qualification"),
            (2, "2026-01-15", "Proposal"),
        ],
    )
    early = F.features_as_of(deals, changes, "2026-01-10")
    late = F.features_as_of(deals, changes, "2026-01-20")
    assert list(early["skipped_qualification"]) == [False, False]
    assert list(late["skipped_qualification"]) == [True, False]


def test_wilson_interval_and_too_few_deals():
    lo, hi = P.wilson([0, 50], [10, 100])
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-3)
    assert lo[1] == pytest.approx(0.4038, abs=1e-3) and hi[1] == pytest.approx(0.5962, abs=1e-3)
    closed = pd.DataFrame({"segment": ["A"] * 40 + ["B"] * 5, "won": [1, 0] * 20 + [1] * 5})
    rates = P.win_rates(closed, "segment", min_n=15).set_index("segment")
    assert rates.loc["A", "rate"] == 0.5 and rates.loc["A", "lo"] < 0.5 < rates.loc["A", "hi"]
    assert rates.loc["B", "too_few"] and np.isnan(rates.loc["B", "rate"])
    assert rates.loc["B", "n"] == 5


def test_forecast_interval_brackets_the_expected_revenue():
    f = P.forecast([100_000, 50_000, 10_000], [0.9, 0.5, 0.1], n_sims=5000, seed=1)
    assert f["expected"] == pytest.approx(116_000)
    assert f["lo"] < f["expected"] < f["hi"]
    assert P.forecast([100.0], [1.0])["lo"] == 100.0


def test_pqs_counts_won_over_late_stage_deals_and_sei_revenue_per_cycle_day():
    closed = pd.DataFrame(
        {"won": [1, 0, 0, 1], "amount": [100.0, 50.0, 10.0, 300.0], "cycle": [10, 20, 5, 15]}
    )
    out = P.pqs_sei(closed, [True, True, False, False]).iloc[0]
    assert out["pqs"] == pytest.approx(2 / 3)  # the second won deal counts as late
    assert out["sei"] == pytest.approx(400 / 50)


@pytest.fixture(scope="module")
def planted():
    end = pd.Timestamp("2026-11-29")
    deals, changes, truth = generate(np.random.default_rng(3), 2500, end=end)
    return deals, changes, truth, end


def _train(deals, changes, as_of):
    closed = deals.loc[deals["closed"] <= as_of].reset_index(drop=True)
    known = changes.loc[changes["date"] <= as_of]
    tr = F.features(closed, known, F.snapshots(closed, end=as_of))
    cycles = (closed["closed"] - closed["created"]).dt.days
    close = closed.set_index("id")["closed"].reindex(tr["deal_id"]).to_numpy()
    return risk.fit(tr, F.labels(deals, tr), F.stage_durations(known, as_of), cycles, close)


def test_the_model_ranks_planted_losers_higher_and_names_their_drivers(planted):
    deals, changes, truth, end = planted
    as_of = end - pd.Timedelta(days=120)
    model = _train(deals, changes, as_of)
    assert model.has_signal
    now = F.features_as_of(deals, changes.loc[changes["date"] <= as_of], as_of)
    p = model.predict(now)
    t = truth.set_index("id").loc[now["deal_id"]]
    assert np.corrcoef(p, t["p_loss"])[0, 1] > 0.4
    drivers = risk.drivers(model, now)
    skipped = np.nonzero(now["skipped_qualification"].to_numpy() & (p > 0.6))[0]
    assert len(skipped)
    named = [any(d["code"] == "skipped_qualification" for d in drivers[i]) for i in skipped]
    assert np.mean(named) > 0.5
    partner = [i for i in range(len(now)) if now["lead_source"].iloc[i] == "partner" and p[i] > 0.6]
    assert any(
        d["code"] == "lead_source" and d["value"] == "partner" for i in partner for d in drivers[i]
    )


def test_without_signal_the_model_says_so_and_predicts_the_base_rate(planted):
    deals, changes, _, end = planted
    shuffled = deals.copy()
    closed = shuffled["outcome"].isin(["won", "lost"]).to_numpy()
    rng = np.random.default_rng(0)
    shuffled.loc[closed, "outcome"] = rng.permutation(shuffled.loc[closed, "outcome"].to_numpy())
    model = _train(shuffled, changes, end)
    assert not model.has_signal
    now = F.features_as_of(shuffled, changes, end)
    assert np.allclose(model.predict(now), model.base_rate)
    assert risk.drivers(model, now)[0] == []


def test_a_segment_whose_win_rate_fell_in_the_last_quarter_is_flagged(planted):
    deals, _, _, end = planted
    closed = P.closed_deals(deals, end)
    drops = P.win_rate_drops(closed, "segment", end - pd.Timedelta(days=91))
    flagged = set(drops.loc[drops["dropped"], "segment"])
    assert flagged == {"Retail"}


def test_stage_p90_per_segment_needs_enough_stints():
    durations = pd.DataFrame(
        {
            "deal_id": list(range(1, 21)) + [21, 22],
            "stage": ["Proposal"] * 22,
            "days": list(range(1, 11)) + list(range(101, 111)) + [5, 6],
        }
    )
    deals = pd.DataFrame({"id": range(1, 23), "segment": ["A"] * 10 + ["B"] * 10 + ["C"] * 2})
    p90 = F.segment_stage_p90(durations, deals, min_n=10)
    assert set(p90) == {("Proposal", "A"), ("Proposal", "B")}
    assert p90[("Proposal", "A")] == pytest.approx(9.1)
    assert p90[("Proposal", "B")] == pytest.approx(109.1)
