"""Thresholds of the signal rules: when a deviation of a pair's twin becomes an alert."""

import numpy as np

#: Per-pair tail level for a candidate loss alert (the queue-level BH comes after).
ALPHA = 0.01
MIN_HISTORY_WEEKS = 26
MIN_COMMODITY_PURCHASES = 8
MIN_TECHNICAL_PURCHASES = 4
MIN_MAGNITUDE = 0.2
#: Uncaptured potential: share of wallet below this, and at least this many euros a year missing.
MAX_SHARE_OF_WALLET = 0.25
MIN_GAP_EUROS = 500.0
#: A stated potential is "not reliable" when nine in ten (REACH_QUANTILE) of the family's
#: steady buyers (STEADY_WEEKS+ weeks of history) with a potential, at least MIN_COMPARABLE of
#: them, also capture less than MAX_SHARE_OF_WALLET of theirs (``twins.stats.potential``).
STEADY_WEEKS = 52
MIN_COMPARABLE = 10
REACH_QUANTILE = 0.9
#: One-sided z of "buyers of an owned family buy this one more than clients at large".
CROSS_SELL_Z = 3.0
#: Technical pairs are called "stopped buying" (rather than deteriorating) only below this
#: probability of still being active...
TECH_FULL_P_ACTIVE = 0.001
#: ...and after at least a year without a purchase.
TECH_FULL_SILENCE_WEEKS = 52
#: Empty weeks before a commodity pair can be called a full churn.
MIN_SILENT_WEEKS = 3
LENGTHENING = np.log(1.2)
#: One-sided z of a significant lengthening of the recent gaps (10%).
LENGTHENING_Z = 1.2816
#: Weeks of history shown in a commodity alert's evidence.
RECENT_SHOWN = 26
#: Longest zero run (weeks) used in the full-churn tail probability.
ZERO_RUN_WEEKS = 26
#: Alert precedence within a pair (first wins).
PRECEDENCE = (
    "full_churn",
    "partial_churn",
    "technical_deterioration",
    "suspicious_pause",
    "campaign_no_response",
    "uncaptured_potential",
)
