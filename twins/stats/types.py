"""The types the statistics exchange: batches in, scores out, the fitted context in between.

Index conventions: P pairs, W weeks (ISO weeks starting Monday, oldest first; the last column is
the last complete week on or before ``as_of``), F families, C clients (indices local to the
batch; the caller maps them back to database ids). Nothing here imports Django.
"""

from dataclasses import dataclass, field

import numpy as np

from .fdr import DEFAULT_Q

#: Alert kinds produced by the statistics (same strings as crm.Alert.Kind).
ALERT_KINDS = (
    "partial_churn",
    "full_churn",
    "technical_deterioration",
    "suspicious_pause",
    "uncaptured_potential",
    "cross_family_decline",
    "campaign_no_response",
    "cross_sell",
)

#: Per-pair fitted parameters in ``PairScores.params`` (NaN where they do not apply).
PARAM_NAMES = (
    "alpha",
    "beta",
    "alpha_base",
    "beta_base",
    "inv_k",
    "p_buy",
    "silence_weeks",
    "mu",
    "sigma",
    "weibull",
    "weibull_k",
    "weibull_scale",
    "p75_gap_days",
    "p90_gap_days",
    "silence_days",
    "gap_trend",
    "unit_price",
    "p_order",
    "p_order_base",
    "band_low_q",
    "band_high_q",
    "potential_level",
    "potential_share",
    "potential_reliability",
    "potential_family_reach",
    "history_weeks",
)

#: Per-pair intermediate values kept from the fit for the evidence and the client signals.
STATE_NAMES = (
    "hist_weeks",
    "mag",
    "weekly",
    "prob",
    "win_len",
    "win_obs",
    "win_exp",
    "share",
    "e52",
    "fam_lift",
    "client_lift",
    "t_med",
    "t_size",
    "drop",
    "loss_stake",
)


@dataclass
class PairBatch:
    units: np.ndarray  # float (P, W) net units per week, zero-filled, returns netted
    euros: np.ndarray  # float (P, W) net euros per week
    technical: np.ndarray  # bool (P,) True for technical families
    family: np.ndarray  # int (P,) family index 0..F-1
    client: np.ndarray  # int (P,) client index 0..C-1
    campaign: np.ndarray  # bool (F, W) campaign weeks per family
    potential: np.ndarray  # float (P,) annual potential in euros, NaN when unknown
    week_start: np.ndarray  # datetime64[D] (W,) the Monday of each column
    n_clients: int = 0  # C; 0 means client.max() + 1
    n_families: int = 0  # F; 0 means family.max() + 1
    # Optional int (P,) queue (rep) of each pair. When given, score_pairs applies
    # Benjamini-Hochberg per queue itself (fdr_q) and builds evidence for kept alerts only.
    queue: np.ndarray | None = None
    fdr_q: float = DEFAULT_Q
    # Optional purchase days, sparse: (pair index (G,), date datetime64[D] (G,)), every day in
    # the grid's weeks with net units > 0, any order. The technical twin then measures its gaps
    # and the current silence in days between order dates; None: 7 days per purchase week.
    purchase_days: tuple | None = None
    # Optional (F,) family reach of stated potentials (``potential.family_reach``) judged over
    # more pairs than this batch (NaN: not judged here); None: computed from this batch.
    potential_reach: np.ndarray | None = None


@dataclass
class PairScores:
    expected_next: np.ndarray  # float (P,) expected units next week
    # Next-week band [band_low, band_high] of integer units: band_low is the P5; band_high is
    # chosen so the band's coverage F(high) - F(low - 1) is nearest 90% (commodity). The exact
    # levels are params["band_low_q"] = F(low - 1) and params["band_high_q"] = F(high).
    band_low: np.ndarray  # float (P,) next-week P5
    band_high: np.ndarray  # float (P,) next-week upper end (coverage nearest 90%)
    p_active: np.ndarray  # float (P,) probability the relationship is still active
    forecast_units: np.ndarray  # float (P,) expected units over the horizon
    mature: np.ndarray  # bool (P,) enough history for loss alerts
    params: dict[str, np.ndarray]  # per-pair fitted parameters, each (P,)
    alert_kind: np.ndarray  # object (P,) one of ALERT_KINDS or "" for none
    alert_score: np.ndarray  # float (P,) probability of the signal (0..1)
    p_value: np.ndarray  # float (P,) tail p-value, NaN where not a tail test
    at_stake: np.ndarray  # float (P,) expected euros at stake (the priority)
    evidence: list  # (P,) JSON-serialisable dict for pairs with an alert, else None
    # Alerts not tied to one pair of the batch: cross-family (family = -1) and cross-sell
    # (a family the client does not buy). Each dict: client, family, kind, score, p_value,
    # at_stake, evidence.
    extra: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # seconds per phase of score_pairs


@dataclass
class Context:
    """Family-level estimates shared by every chunk of one ``score_pairs`` call."""

    week_start: np.ndarray
    horizon: int
    recent: int
    a0: np.ndarray
    b0: np.ndarray
    c0: np.ndarray  # (F,) Beta prior of the weekly order probability
    d0: np.ndarray
    inv_k: np.ndarray
    season: np.ndarray  # (F, W)
    season_next: np.ndarray  # (F, H)
    fam_lift: np.ndarray  # (F,) campaign lift of the family, all campaign weeks of the history
    campaign: np.ndarray  # (F, W)
    #: (F,) the family's lift in the post-campaign weeks (below 1: purchases pulled forward).
    fam_post_lift: np.ndarray | None = None
    #: (F, 4) BG/BB dropout parameters (a, b, g, d) per family (``dropout.fit_family_bgbb``).
    bgbb: np.ndarray | None = None
    #: (F,) share of their stated potential that nine in ten of the family's steady buyers
    #: stay below (``potential.family_reach``); None: not computed (every potential reliable
    #: unless below purchases).
    potential_reach: np.ndarray | None = None


def empty_scores(n: int) -> PairScores:
    z = np.zeros(n)
    return PairScores(
        expected_next=z.copy(),
        band_low=z.copy(),
        band_high=z.copy(),
        p_active=np.ones(n),
        forecast_units=z.copy(),
        mature=np.zeros(n, bool),
        params={k: np.full(n, np.nan) for k in PARAM_NAMES},
        alert_kind=np.full(n, "", dtype=object),
        alert_score=z.copy(),
        p_value=np.full(n, np.nan),
        at_stake=z.copy(),
        evidence=[None] * n,
        extra=[],
    )
