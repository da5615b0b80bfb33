"""One reader from order lines to a PairBatch, for the offline command and the scoring run."""

import numpy as np
import pandas as pd

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
