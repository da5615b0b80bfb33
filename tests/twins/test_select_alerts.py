"""Benjamini-Hochberg per rep's queue: ``fdr_select`` by hand, and which queue a test belongs
to in ``twins.runs.select_alerts`` (rank k of m is kept iff p <= q k / m, and so is every
smaller p of its queue)."""

import numpy as np
import pytest

from twins.stats.api import fdr_select


def test_a_p_value_exactly_at_the_bh_line_is_kept():
    """q = 0.1, two tests: rank 1 needs p <= 0.05, rank 2 p <= 0.1. 0.05 sits on the line."""
    assert fdr_select([0.05, 0.5], [0, 0], 0.1).tolist() == [True, False]
    assert fdr_select([0.06, 0.5], [0, 0], 0.1).tolist() == [False, False]


def test_a_queue_where_no_test_passes_keeps_nothing_not_its_smallest_p():
    """Queue 7 (0.3, 0.6, 0.9 at q = 0.2: lines 0.067, 0.133, 0.2) keeps nothing; queue 2 on
    its own keeps its 0.01. The step-up keeps 0.04 of (0.04, 0.01) because 0.04 <= 0.2."""
    p = [0.6, 0.01, 0.9, 0.3, 0.04, 0.01]
    g = [7, 2, 7, 7, 5, 5]
    assert fdr_select(p, g, 0.2).tolist() == [False, True, False, False, True, True]


def test_a_step_up_keeps_a_smaller_p_above_its_own_line():
    """q = 0.1, four tests (0.03, 0.031, 0.032, 0.09): rank 1's line is 0.025, but rank 4's
    0.09 <= 0.1 passes, so all four are kept (step-up, not step-down)."""
    assert fdr_select([0.032, 0.09, 0.03, 0.031], [1, 1, 1, 1], 0.1).all()
    assert fdr_select([0.032, 0.11, 0.03, 0.031], [1, 1, 1, 1], 0.1).tolist() == [
        True,
        False,
        True,
        True,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("with_rep", [False, True])
@pytest.mark.parametrize("p, kept", [(0.015, True), (0.05, False)])
def test_a_client_level_test_shares_its_reps_queue_with_the_pair_tests(settings, p, kept, with_rep):
    """U and V belong to the same rep R (or both have none, one queue of their own). U has nine
    quiet pair tests (p = 0.9), V a cross-family decline with p-value ``p``: one queue of ten
    tests, so V's alert needs p <= 0.2 x 1/10 = 0.02. Alone in a queue of its own it would
    pass at any p <= 0.2."""
    from crm.models import Alert, Client, User
    from twins import runs

    settings.SCORING_FDR_Q = 0.2
    rep = User.objects.create_user("r", role="rep") if with_rep else None
    u = Client.objects.create(code="U", rep=rep)
    v = Client.objects.create(code="V", rep=rep)
    columns = {
        "client": np.array([u.pk] * 9),
        "family": np.arange(1, 10),
        "p_value": np.full(9, 0.9),
    }
    decline = {"kind": "cross_family_decline", "p_value": p, "at_stake": 10.0, "pair": False}
    selected = runs.select_alerts([decline | {"client": v.pk, "family": None}], columns)
    assert (Alert.make_dedup_key(v.pk, None, "cross_family_decline") in selected) is kept


@pytest.mark.django_db
@pytest.mark.parametrize("q, kept", [(0.2, True), (0.05, False)])
def test_the_configured_level_decides(settings, q, kept):
    """A queue with one test, p = 0.1: kept at SCORING_FDR_Q = 0.2, not at 0.05."""
    from crm.models import Client, User
    from twins import runs

    settings.SCORING_FDR_Q = q
    x = Client.objects.create(code="X", rep=User.objects.create_user("rq", role="rep"))
    columns = {"client": np.array([x.pk]), "family": np.array([1]), "p_value": np.array([0.1])}
    churn = {"kind": "partial_churn", "p_value": 0.1, "at_stake": 1.0, "pair": True}
    assert bool(runs.select_alerts([churn | {"client": x.pk, "family": 1}], columns)) is kept


@pytest.mark.django_db
def test_a_pair_candidate_follows_its_own_pairs_test_not_its_neighbours(settings):
    """One rep, pairs (X, 1) with p = 0.001 and (X, 2) with p = 0.9, and a client-level
    decline with p = 0.002: three tests, lines 0.067, 0.133, 0.2, so BH keeps 0.001 and 0.002,
    not 0.9. A candidate on each pair: only (X, 1) alerts; the decline alerts; a client-level
    candidate without a p-value passes."""
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
        {"kind": "cross_family_decline", "p_value": 0.002, "at_stake": 7.0, "pair": False}
        | {"client": x.pk, "family": None},
    ]
    selected = runs.select_alerts(candidates, columns)
    assert set(selected) == {
        Alert.make_dedup_key(x.pk, 1, "partial_churn"),
        Alert.make_dedup_key(x.pk, 3, "cross_sell"),
        Alert.make_dedup_key(x.pk, None, "cross_family_decline"),
    }
    assert selected[Alert.make_dedup_key(x.pk, 1, "partial_churn")]["p_value"] == 0.001
    assert runs.select_alerts([], columns) == {}
