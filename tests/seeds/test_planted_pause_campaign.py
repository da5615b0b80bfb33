"""The two planted scenarios of the rule-based alert kinds, on generated data (no database).

* ``technical_pause``: the last two gaps of a technical pair are 2-2.6x its median gap and the
  open gap at the end has lasted 1.6-2.0x it (past the usual P75, before the P90);
* ``campaign_no_response``: a commodity pair buys as usual through its family's campaigns, no
  uplift and no dip after, while the other pairs of the family buy about twice as much.
"""

import datetime as dt

import numpy as np
import pytest

from seeds import generator as gen

END = dt.date(2026, 11, 29)
WEEKS = 156


@pytest.fixture(scope="module")
def demo():
    """Weekly units per pair of a 600-client history, with the planted truth and campaigns."""
    calendar = gen.Calendar.ending(END, WEEKS)
    catalogue = gen.Catalogue.build(calendar)
    rng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(0,)))
    plans, campaign_mult = gen.plan_campaigns(rng, calendar)
    crng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(1, 0)))
    ch = gen.generate_chunk(crng, 600, calendar, catalogue, campaign_mult)
    week = (ch.order_date[ch.line_order] - calendar.week_start[0]).astype(int) // 7
    client = ch.order_client[ch.line_order]
    n_fam = len(gen.FAMILIES)
    pair_of = np.full(600 * n_fam, -1)
    pair_of[ch.pair_client * n_fam + ch.pair_family] = np.arange(ch.pair_client.size)
    pair = pair_of[client * n_fam + ch.line_family]
    sale = (pair >= 0) & (ch.line_units > 0)
    units = np.zeros((ch.pair_client.size, WEEKS))
    np.add.at(units, (pair[sale], week[sale]), ch.line_units[sale])
    starts = [
        (int((np.datetime64(p.start) - calendar.week_start[0]) // (7 * gen.DAY)), p.families)
        for p in plans
    ]
    scenario = np.array(gen.SCENARIOS)[ch.pair_scenario]
    return units, scenario, ch.pair_family, ch.pair_params, starts


def test_both_scenarios_are_planted_and_the_others_keep_their_shares(demo):
    _units, scenario, _family, params, _starts = demo
    kind = np.array([p["kind"] for p in params])
    bought = np.array(["buys" not in p for p in params])
    com = (kind == "commodity") & bought
    tech = (kind == "technical") & bought
    share = {s: (scenario[com] == s).mean() for s in gen.COMMODITY_SCENARIOS}
    assert 0.04 <= share["campaign_no_response"] <= 0.08
    assert 0.08 <= share["partial_churn"] <= 0.12 and 0.025 <= share["full_churn"] <= 0.055
    assert 0.03 <= (scenario[tech] == "technical_pause").mean() <= 0.09
    assert 0.09 <= (scenario[tech] == "technical_silence").mean() <= 0.15
    assert not np.isin(scenario[com], ["technical_pause", "technical_silence"]).any()
    assert not (scenario[tech] == "campaign_no_response").any()


def test_technical_pause_lengthens_the_last_two_gaps_and_is_silent_past_the_usual_p75(demo):
    units, scenario, _family, params, _starts = demo
    rows = np.flatnonzero(scenario == "technical_pause")
    assert rows.size >= 15
    trend, silence, usual, n_usual = [], [], [], []
    for i in rows:
        weeks = np.flatnonzero(units[i] > 0)
        gaps = np.diff(weeks)
        median = params[i]["gap_median_weeks"]
        n_usual.append(gaps.size - 2)
        trend.append(np.log(gaps[-2:]).mean() - np.log(median))
        silence.append((WEEKS - 1 - weeks[-1]) / median)
        usual.append(np.median(gaps[:-2]) / median if gaps.size > 2 else np.nan)
        assert params[i]["pause_weeks"] == WEEKS - 1 - weeks[-1]
        assert 2.0 <= params[i]["lengthening"] <= 2.6
    # The last two gaps: about 2.3x the median (log 0.83), each with the usual noise.
    assert np.median(trend) > np.log(1.8)
    # The open gap: 1.6-2.0x the median, up to the rounding to whole weeks.
    silence = np.array(silence)
    assert ((silence > 1.4) & (silence < 2.2)).mean() >= 0.9
    # Before the lengthening the history holds usual gaps (room for PAUSE_USUAL_GAPS of the
    # median; fewer when seasonal thinning merges two), at the pair's usual rhythm.
    assert np.median(n_usual) >= gen.PAUSE_USUAL_GAPS and np.min(n_usual) >= 1
    assert 0.8 <= np.nanmedian(usual) <= 1.3


def test_stable_technical_pairs_have_no_lengthening(demo):
    units, scenario, _family, params, _starts = demo
    kind = np.array([p["kind"] for p in params])
    rows = np.flatnonzero((scenario == "stable") & (kind == "technical"))
    trend = []
    for i in rows:
        gaps = np.diff(np.flatnonzero(units[i] > 0))
        if gaps.size >= 4:
            trend.append(np.log(gaps[-2:]).mean() - np.log(params[i]["gap_median_weeks"]))
    assert abs(np.median(trend)) < np.log(1.25)


def _campaign_ratios(units, family, starts, rows):
    """(campaign weeks, four weeks after) over the six weeks before each campaign, summed over
    ``rows`` and the campaigns promoting their family."""
    camp, after, before = 0.0, 0.0, 0.0
    for t, promoted in starts:
        if t < 8 or t + 6 > WEEKS:
            continue
        sel = rows[np.isin(family[rows], promoted)]
        camp += units[sel, t : t + 2].sum() / 2
        after += units[sel, t + 2 : t + 6].sum() / 4
        before += units[sel, t - 8 : t - 2].sum() / 6
    return camp / before, after / before


def test_campaign_no_response_buys_as_usual_through_campaigns(demo):
    units, scenario, family, params, starts = demo
    deaf = np.flatnonzero(scenario == "campaign_no_response")
    stable = np.flatnonzero(
        (scenario == "stable") & np.array([p["kind"] == "commodity" for p in params])
    )
    assert deaf.size >= 40
    assert all(params[i]["campaign_response"] == 0.0 for i in deaf)
    lift, dip = _campaign_ratios(units, family, starts, deaf)
    assert 0.8 <= lift <= 1.35 and 0.9 <= dip <= 1.35, (lift, dip)
    lift, dip = _campaign_ratios(units, family, starts, stable)
    assert lift > 1.6 and dip < 0.9, (lift, dip)
