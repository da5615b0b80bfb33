"""Territory and province ranking: a weighted score of four components, each 0-100.

A *unit* is a territory or a province. Its figures as of a day ``d`` cover the 12 months
(365 days) to ``d``:

- ``revenue``: net value of the unit's clients' lines in ``(d - 365, d]``;
- ``revenue_prev``: the same in the 12 months before (``(d - 730, d - 365]``);
- ``active_clients``: clients with a positive-value line in ``(d - 365, d]`` (the refit's
  lines are net values per client, family and day, so a day of returns only is none);
- ``potential``: the stated annual potential of the unit's (client, family) pairs;
- ``captured``: per pair, the 12-month revenue capped at its potential (at least 0), summed.

Components (:func:`components`), each 0-100:

- revenue, active clients and share of potential captured (``captured / potential``) are
  ratio quantities: **percent of the best unit** (the best gets 100, a unit with half its
  revenue 50, nothing 0). When the best is 0 every unit gets 0;
- growth vs last year (``revenue / revenue_prev - 1``) can be negative: **min-max across the
  units** (best growth 100, worst 0). When every unit has the same growth (one unit
  included) there is no spread to rank and each gets 50;
- a unit without last year's revenue has no growth, and one without any stated potential
  has no share captured: the missing component is left out and the unit's score is the
  weighted mean of the components it has (its other weights rescaled to sum 1).

Score (:func:`score`) = weighted mean of the components (weights divided by their sum, so
35/30/20/15 and 0.35/0.30/0.20/0.15 are the same); rank 1 = highest score (ties share the
rank); tier *premium* above ``premium_above`` (70), *underperforming* below
``underperforming_below`` (40), *standard* in between (both bounds included). The components
are relative to the units scored together, so a score says how a unit stands against the
others that day, not against a fixed target.

No Django here: DataFrames in, DataFrames out, explicit dates.
"""

import numpy as np
import pandas as pd

#: Component codes, in the order the page shows them.
COMPONENTS = ("revenue", "clients", "growth", "potential")
#: Default weights of the components (the issue's 35 / 30 / 20 / 15).
DEFAULT_WEIGHTS = {"revenue": 35.0, "clients": 30.0, "growth": 20.0, "potential": 15.0}
PREMIUM_ABOVE = 70.0
UNDERPERFORMING_BELOW = 40.0
TIERS = ("premium", "standard", "underperforming")
#: Columns of :func:`unit_figures`.
FIGURES = ("revenue", "revenue_prev", "active_clients", "captured", "potential")
YEAR = np.timedelta64(365, "D")


def unit_figures(lines, unit_of_client, potential, dates) -> pd.DataFrame:
    """The figures of each unit as of each day of ``dates`` (see the module docstring).

    ``lines``: DataFrame ``client``, ``family``, ``date`` (datetime64), ``value`` (net euros);
    ``unit_of_client``: Series client -> unit label (clients missing or NaN are in no unit);
    ``potential``: Series indexed by (client, family) -> annual potential in euros.
    Returns one row per (``as_of``, ``unit``) for every unit with a client, indexed so.
    Vectorised: the lines are coded once, each date is a few masks and bincounts.
    """
    unit_of_client = unit_of_client.dropna()
    cols = list(FIGURES)
    if not len(unit_of_client):
        idx = pd.MultiIndex.from_arrays([[], []], names=["as_of", "unit"])
        return pd.DataFrame(columns=cols, index=idx, dtype=float)
    cat = pd.Categorical(unit_of_client.to_numpy())
    units, n_units = list(cat.categories), len(cat.categories)
    clients = pd.Index(unit_of_client.index)
    client_unit = np.asarray(cat.codes, dtype=np.int64)
    # Lines of clients in a unit: client position, unit code, day, value.
    cpos = clients.get_indexer(lines["client"].to_numpy())
    keep = cpos >= 0
    cpos = cpos[keep]
    line_unit = client_unit[cpos]
    day = lines["date"].to_numpy()[keep].astype("datetime64[D]").astype(np.int64)
    value = lines["value"].to_numpy(dtype=float)[keep]
    # Stated potentials (> 0) of the clients in a unit, and each line's pair among them
    # (a pair coded as client position x families + family code: integer look-ups).
    pot = potential[potential > 0] if len(potential) else potential.astype(float)
    if len(pot):
        pot = pot[pot.index.get_level_values(0).isin(clients)]
    pot_value = pot.to_numpy(dtype=float)
    pair = np.full(len(value), -1, dtype=np.int64)
    pot_unit = np.zeros(0, dtype=np.int64)
    if len(pot):
        fam_codes, fams = pd.factorize(lines["family"].to_numpy()[keep])
        pot_cpos = clients.get_indexer(pot.index.get_level_values(0))
        pot_unit = client_unit[pot_cpos]
        pot_fam = pd.Index(fams).get_indexer(pot.index.get_level_values(1))  # -1: never bought
        n_fam = max(len(fams), 1)
        pot_key = np.where(pot_fam >= 0, pot_cpos * n_fam + pot_fam, -1)
        pair = pd.Index(pot_key).get_indexer(cpos * n_fam + fam_codes)
    year = int(YEAR.astype(np.int64))
    frames = []
    for as_of in dates:
        end = int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))
        now = (day > end - year) & (day <= end)
        before = (day > end - 2 * year) & (day <= end - year)
        active = np.zeros(len(clients), dtype=bool)
        active[cpos[now & (value > 0)]] = True
        sel = now & (pair >= 0)
        got = np.bincount(pair[sel], weights=value[sel], minlength=len(pot_value))
        captured = np.minimum(np.clip(got, 0, None), pot_value)
        out = pd.DataFrame(
            {
                "revenue": np.bincount(line_unit[now], weights=value[now], minlength=n_units),
                "revenue_prev": np.bincount(
                    line_unit[before], weights=value[before], minlength=n_units
                ),
                "active_clients": np.bincount(client_unit[active], minlength=n_units),
                "captured": np.bincount(pot_unit, weights=captured, minlength=n_units),
                "potential": np.bincount(pot_unit, weights=pot_value, minlength=n_units),
            },
            index=pd.Index(units, name="unit"),
        ).astype(float)
        out["as_of"] = pd.Timestamp(as_of).date()
        frames.append(out.reset_index())
    return pd.concat(frames, ignore_index=True).set_index(["as_of", "unit"])


def _pct_of_best(x):
    x = np.clip(np.asarray(x, dtype=float), 0, None)
    best = np.nanmax(x) if np.isfinite(x).any() else 0.0
    if not best > 0:
        return np.where(np.isnan(x), np.nan, 0.0)
    return 100.0 * x / best


def _min_max(x):
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    if not ok.any():
        return x
    lo, hi = x[ok].min(), x[ok].max()
    if hi - lo <= 1e-12 * max(abs(hi), 1.0):
        return np.where(ok, 50.0, np.nan)
    return 100.0 * (x - lo) / (hi - lo)


def components(figures) -> pd.DataFrame:
    """The four components (0-100, NaN when missing) of the units in ``figures`` (rows:
    units scored together; columns :data:`FIGURES`)."""
    f = figures
    rev = f["revenue"].to_numpy(dtype=float)
    prev = f["revenue_prev"].to_numpy(dtype=float)
    pot = f["potential"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(prev > 0, rev / prev - 1.0, np.nan)
        share = np.where(pot > 0, f["captured"].to_numpy(dtype=float) / pot, np.nan)
    return pd.DataFrame(
        {
            "revenue": _pct_of_best(rev),
            "clients": _pct_of_best(f["active_clients"].to_numpy(dtype=float)),
            "growth": _min_max(growth),
            "potential": _pct_of_best(share),
            "growth_rate": growth,
            "share_captured": share,
        },
        index=f.index,
    )


def normalised_weights(weights) -> dict:
    """``weights`` (component -> non-negative number) divided by their sum."""
    w = {c: float(weights.get(c, 0.0)) for c in COMPONENTS}
    if any(v < 0 or not np.isfinite(v) for v in w.values()):
        raise ValueError("Weights must be non-negative numbers.")
    total = sum(w.values())
    if not total > 0:
        raise ValueError("At least one weight must be above zero.")
    return {c: v / total for c, v in w.items()}


def tiers(scores, premium_above=PREMIUM_ABOVE, underperforming_below=UNDERPERFORMING_BELOW):
    s = np.asarray(scores, dtype=float)
    return np.where(
        s > premium_above,
        "premium",
        np.where(s < underperforming_below, "underperforming", "standard"),
    )


def score(
    figures,
    weights=None,
    premium_above=PREMIUM_ABOVE,
    underperforming_below=UNDERPERFORMING_BELOW,
) -> pd.DataFrame:
    """Components, ``score`` (0-100), ``rank`` and ``tier`` of the units in ``figures``.

    Rows are sorted by rank (then by the index, for ties)."""
    w = normalised_weights(weights or DEFAULT_WEIGHTS)
    comp = components(figures)
    vals = comp[list(COMPONENTS)].to_numpy(dtype=float)
    wv = np.array([w[c] for c in COMPONENTS])
    have = ~np.isnan(vals)
    used = (have * wv).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(used > 0, (np.nan_to_num(vals) * wv).sum(axis=1) / used, 0.0)
    out = comp.copy()
    out["score"] = s
    out["rank"] = pd.Series(s, index=out.index).rank(method="min", ascending=False).astype(int)
    out["tier"] = tiers(s, premium_above, underperforming_below)
    key = pd.Series(range(len(out)), index=out.index)
    order = np.lexsort((key.to_numpy(), out["rank"].to_numpy()))
    return out.iloc[order]


def score_over_time(figures, weights=None, **bounds) -> pd.DataFrame:
    """:func:`score` of the units of each ``as_of`` of ``figures`` (indexed (as_of, unit)),
    each day's units scored together; the same index, sorted by date then rank."""
    if not len(figures):
        return pd.DataFrame()
    parts = [
        score(g.droplevel("as_of"), weights, **bounds).assign(as_of=day)
        for day, g in figures.groupby(level="as_of", sort=True)
    ]
    return pd.concat(parts).reset_index().set_index(["as_of", "unit"])


def quarter_ends(as_of, quarters=4):
    """``as_of`` and the ends of the ``quarters - 1`` quarters before it (13 weeks apart),
    oldest first."""
    end = pd.Timestamp(as_of).date()
    return [end - pd.Timedelta(weeks=13 * k).to_pytimedelta() for k in range(quarters - 1, -1, -1)]
