"""Benjamini-Hochberg per rep's queue in ``twins.runs.select_alerts``: which queue a test
belongs to, by hand at q = 0.2 (rank k of m is kept iff p <= 0.2 k / m)."""

import numpy as np
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("p, kept", [(0.015, True), (0.05, False)])
def test_clients_without_a_rep_share_one_queue_with_their_client_level_tests(settings, p, kept):
    """U and V have no rep. U has nine quiet pair tests (p = 0.9), V a cross-family decline
    with p-value ``p``: one queue of ten tests, so V's alert needs p <= 0.2 x 1/10 = 0.02.
    Alone in a queue of its own it would pass at any p <= 0.2."""
    from crm.models import Alert, Client
    from twins import runs

    settings.SCORING_FDR_Q = 0.2
    u = Client.objects.create(code="U")
    v = Client.objects.create(code="V")
    columns = {
        "client": np.array([u.pk] * 9),
        "family": np.arange(1, 10),
        "p_value": np.full(9, 0.9),
    }
    decline = {"kind": "cross_family_decline", "p_value": p, "at_stake": 10.0, "pair": False}
    selected = runs.select_alerts([decline | {"client": v.pk, "family": None}], columns)
    assert (Alert.make_dedup_key(v.pk, None, "cross_family_decline") in selected) is kept


def test_a_pair_candidate_follows_its_own_pairs_test_not_its_neighbours(settings):
    """One rep, pairs (X, 1) with p = 0.001 and (X, 2) with p = 0.9: BH keeps only the
    first (0.001 <= 0.2 x 1/2; 0.9 > 0.2). A candidate on each pair: only (X, 1) alerts; a
    client-level candidate without a p-value passes."""
    from crm.models import Alert, Client, User
    from twins import runs

    settings.SCORING_FDR_Q = 0.2
    x = Client.objects.create(code="X", rep=User.objects.create_user("rx", role="rep"))
    columns = {
        "client": np.array([x.pk, x.pk]),
        "family": np.array([1, 2]),
        "p_value": np.array([0.001, 0.9]),
    }
    churn = {"kind": "partial_churn", "at_stake": 10.0, "pair": True, "client": x.pk}
    cross_sell = {"kind": "cross_sell", "p_value": None, "at_stake": 5.0, "pair": False}
    candidates = [
        churn | {"family": 2, "p_value": 0.9},
        churn | {"family": 1, "p_value": 0.001},
        cross_sell | {"client": x.pk, "family": 3},
    ]
    selected = runs.select_alerts(candidates, columns)
    assert set(selected) == {
        Alert.make_dedup_key(x.pk, 1, "partial_churn"),
        Alert.make_dedup_key(x.pk, 3, "cross_sell"),
    }
    assert selected[Alert.make_dedup_key(x.pk, 1, "partial_churn")]["p_value"] == 0.001
    assert runs.select_alerts([], columns) == {}
