"""Launch targeting: who to call when a new product comes out, and which new product to offer.

``stats`` holds the pure statistics (no Django); ``models`` the Launch, its targets and the
Gower attribute weights; ``services`` targets a launch and publishes its alerts, and judges
the outcomes; ``kinds`` registers the ``launch_early_adopter`` alert kind. See docs/launch.md.
"""
