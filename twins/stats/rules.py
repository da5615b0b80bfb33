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
#: Weeks after a campaign week also left out of the fit (stock bought ahead); the campaign
#: without response compares them with the family's too.
POST_CAMPAIGN_WEEKS = 4
#: Campaign without response: the family's campaign lift must reach this...
MIN_FAMILY_LIFT = 1.2
#: ...and the client's campaign and post-campaign units must be at least this many times
#: likelier if it buys as usual through campaigns than if it responds like the family.
CAMPAIGN_ODDS = 7.0
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
