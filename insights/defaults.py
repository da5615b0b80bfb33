"""Default tiers and playbooks (created when missing; then edited in the admin)."""

#: code -> (min probability, action, alert minimum at stake in euros)
TIERS = {
    "high": (0.7, "Manager call + offer", 500),
    "medium": (0.4, "Retention campaign", 0),
    "low": (0.0, "Standard loyalty", 0),
}

PLAYBOOKS = {
    "at_risk": "Call this week: ask what changed, offer a visit and a tailored condition.",
    "premium_regulars": "Protect: quarterly business review, early access to launches.",
    "growing": "Feed the growth: propose the next family and volume terms.",
    "single_family": "Cross-sell: present the families similar clients buy.",
    "occasional": "Nurture with campaigns; a call before their usual reorder date.",
    "steady": "Standard loyalty: keep the reorder easy, check in each quarter.",
    "lapsed": "Win back: a visit with a returning-client offer; ask why they left.",
    "declining": "Find out what moved: competitor, price or service; propose a plan.",
    "small_regulars": "Serve efficiently: online reorder, bundles to grow the basket.",
}
