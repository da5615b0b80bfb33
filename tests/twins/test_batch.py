"""One reader from order lines to a PairBatch, for the offline command and the scoring run."""

import numpy as np
import pandas as pd
import pytest

from twins.stats.batch import batch_from_orders

AS_OF = np.datetime64("2025-01-05")  # a Sunday


def orders():
    return pd.DataFrame(
        {
            "client": [7, 3, 7, 3, 7],
            "family": [20, 10, 10, 10, 20],
            "date": np.array(
                ["2024-12-30", "2024-12-31", "2024-12-16", "2025-01-02", "2025-01-06"],
                dtype="datetime64[D]",
            ),
            "units": [2.0, 1.0, 5.0, 3.0, 9.0],
            "value": [20.0, 10.0, 50.0, 30.0, 90.0],
        }
    )


def series(pairs):
    """{(client, family): weekly units} of a batch's pairs."""
    return {
        (int(c), int(f)): pairs.batch.units[i].tolist()
        for i, (c, f) in enumerate(zip(pairs.pair_client, pairs.pair_family, strict=True))
    }


def test_both_orderings_give_every_pair_the_same_weekly_series():
    first_seen = batch_from_orders(orders(), AS_OF, 3)
    by_id = batch_from_orders(orders(), AS_OF, 3, families=[10, 20], sort=True)

    assert list(zip(first_seen.pair_client, first_seen.pair_family, strict=True)) == [
        (7, 20),
        (3, 10),
        (7, 10),
    ]
    assert list(zip(by_id.pair_client, by_id.pair_family, strict=True)) == [
        (3, 10),
        (7, 10),
        (7, 20),
    ]
    assert series(first_seen) == series(by_id)
    # Client 3 bought 1 + 3 units in the last week; the line after as_of is left out.
    assert series(by_id)[(3, 10)] == [0.0, 0.0, 4.0]
    assert series(by_id)[(7, 20)] == [0.0, 0.0, 2.0]
    assert by_id.batch.n_clients == 2 and by_id.batch.n_families == 2


def test_families_without_orders_keep_their_index_and_extra_pairs_get_empty_rows():
    pairs = batch_from_orders(
        orders(),
        AS_OF,
        3,
        families=[10, 15, 20],
        technical=[False, True, False],
        extra_pairs=(np.array([9]), np.array([15])),
        sort=True,
    )

    extra = list(pairs.pair_client).index(9)
    assert pairs.pair_family[extra] == 15 and pairs.batch.family[extra] == 1
    assert pairs.batch.technical[extra] and not pairs.batch.units[extra].any()
    assert pairs.batch.n_families == 3 and list(pairs.clients) == [3, 7, 9]
    assert np.isnan(pairs.batch.potential).all() and not pairs.batch.campaign.any()


def test_technical_gaps_are_days_between_order_dates():
    """Orders on 2 Jan, 12 Jan and 29 Jan 2024 (10 and 17 days apart) are gaps of 10 and 17
    days, not the 7 and 21 of their purchase weeks (1 and 3 weeks apart). A return on the
    same day as an order cancels that day; two lines of one day are one purchase."""
    from twins.stats.pipeline import _technical_days
    from twins.stats.technical import purchase_gaps

    frame = pd.DataFrame(
        {
            "client": [1, 1, 1, 1, 1, 1],
            "family": [5, 5, 5, 5, 5, 5],
            "date": np.array(
                ["2024-01-02", "2024-01-12", "2024-01-12", "2024-01-29", "2024-01-31"]
                + ["2024-01-31"],
                dtype="datetime64[D]",
            ),
            "units": [2.0, 1.0, 1.0, 3.0, 2.0, -2.0],
            "value": [20.0, 10.0, 10.0, 30.0, 20.0, -20.0],
        }
    )
    pairs = batch_from_orders(frame, np.datetime64("2024-02-04"), 6, technical=[True])
    batch = pairs.batch
    pair, day = batch.purchase_days
    assert day.astype(str).tolist() == ["2024-01-02", "2024-01-12", "2024-01-29"]
    days = _technical_days(batch.purchase_days, np.zeros(1, int), batch.week_start)
    gaps = purchase_gaps(batch.units, days)
    assert gaps.days.tolist() == [10.0, 17.0]
    weekly = purchase_gaps(batch.units)
    assert weekly.days.tolist() == [7.0, 21.0]


def test_technical_evidence_counts_days_from_the_order_dates():
    """Forty implant buyers order every 30 days; one stops. Its alert names the gaps in days
    (30, not 28 or 35), the days since its last order up to the Sunday that ends the last week,
    and the order date itself."""
    from twins.stats.api import score_pairs

    start = np.datetime64("2023-01-02")
    rows = []
    for client in range(41):
        n = 20 if client < 40 else 15  # the last client stops after 15 orders
        for k in range(n):
            rows.append((client, 1, start + np.timedelta64(client % 7 + 30 * k, "D"), 2.0, 50.0))
    frame = pd.DataFrame(rows, columns=["client", "family", "date", "units", "value"])
    as_of = np.datetime64("2024-08-04")  # a Sunday
    pairs = batch_from_orders(frame, as_of, 90, technical=[True])
    scores = score_pairs(pairs.batch)
    i = int(np.flatnonzero(pairs.pair_client == 40)[0])
    assert scores.alert_kind[i] in ("technical_deterioration", "full_churn")
    ev = scores.evidence[i]
    assert set(ev["gaps_days"]) == {30}
    last = start + np.timedelta64(40 % 7 + 30 * 14, "D")
    assert ev["last_purchase"] == str(last) and ev["last_purchase_is_week"] is False
    assert ev["current_silence_days"] == int((as_of - last).astype(int))
    assert ev["median_gap_days"] == pytest.approx(30, abs=0.5)
