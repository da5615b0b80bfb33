"""Pure statistics of the sales pipeline (numpy, pandas, scikit-learn; no Django, no ORM).

Inputs are two DataFrames (see :mod:`deals.stats.features`): ``deals`` (one row per
opportunity) and ``changes`` (one row per stage change). Everything that depends on "today"
takes an explicit ``as_of``.
"""
