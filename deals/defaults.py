"""The default pipeline stages: ``(code, name, order, late, qualification, outcome)``.

The data migration ``0002_default_stages`` installs the same list (a frozen copy);
:func:`deals.services.ensure_default_stages` puts back any that is missing.
"""

DEFAULT_STAGES = (
    ("prospecting", "Prospecting", 10, False, False, "open"),
    ("qualification", "Qualification", 20, False, True, "open"),
    ("proposal", "Proposal", 30, False, False, "open"),
    ("negotiation", "Negotiation", 40, True, False, "open"),
    ("closing", "Closing", 50, True, False, "open"),
    ("won", "Won", 90, True, False, "won"),
    ("lost", "Lost", 95, False, False, "lost"),
)
