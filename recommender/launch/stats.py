"""Launch targeting statistics: pure numpy, pandas and scikit-learn (no Django), explicit as_of.

Who to call when a product comes out, and which new product to offer:

* :func:`rule_scores`: an early-adopter score from business rules over past launches (how often
  and how fast the client bought past new products, breadth of families, spend), with the rules
  that fired per client;
* :func:`lookalike`: a classifier that recognises early adopters from *other* features
  (province, size, family mix, order regularity), out-of-fold, to extend the pool;
* :func:`gower_distance` and :func:`appetence`: how close a new product is to what the client
  already buys (Gower distance on product attributes, weighted);
* :func:`band_table` and :class:`Combiner`: the final score, from the three and from the
  conversion of (lookalike x appetence) bands in past launches;
* :func:`backtest`: hide each past launch, target it with the history before it, check who
  bought in the next weeks; compare with random clients, top spenders and the rules alone.

Frames (every date a ``datetime64[ns]``):

* ``lines``: ``client, product, family, date, units, value`` (one row per order line);
* ``clients``: ``client, province`` (``client`` ids are the row labels of every result);
* ``products``: ``product, family, line, kind, price, launch_date`` plus one ``attr:<key>``
  column per key of the products' free attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: A client "adopted" a launch when it bought one of its products within this many weeks.
WINDOW_WEEKS = 12
#: Lookalike and appetence band edges of the subgroup table (lower bounds; last edge closed).
LOOK_EDGES = (0.0, 0.3, 0.5, 0.7, 1.0)
APP_EDGES = (0.0, 0.2, 0.4, 0.6, 1.0)
#: Pseudo-clients a band's conversion borrows from the overall rate.
BAND_SHRINK = 20.0
WEEK = np.timedelta64(7, "D")


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the early-adopter rules (see :func:`rule_scores`)."""

    window_weeks: int = WINDOW_WEEKS
    min_adoptions: int = 2  # "repeat early adopter": bought at least this many past launches
    fast_weeks: float = 4.0  # "fast": median weeks from launch to first purchase at most this
    broad_families: int = 4  # "broad": bought at least this many families in the last year
    spend_quantile: float = 0.75  # "big spender": last year's spend at least this quantile
    #: Weight of each rule in the score (they sum to 1).
    weights: dict = field(
        default_factory=lambda: {"repeat": 0.45, "fast": 0.2, "broad": 0.2, "spend": 0.15}
    )


# --------------------------------------------------------------------------- launches


def launch_dates(products: pd.DataFrame, lines: pd.DataFrame, settle_weeks=8) -> pd.Series:
    """Each product's launch date: the known one, else inferred as its first sale (NaT if
    neither). A first sale in the first ``settle_weeks`` of the data says nothing (the
    product was on sale before the data starts): NaT. Indexed by product id."""
    known = pd.to_datetime(products.set_index("product")["launch_date"])
    sold = lines.loc[lines["units"] > 0]
    first = sold.groupby("product")["date"].min().reindex(known.index)
    if len(sold):
        first = first.where(first >= sold["date"].min() + pd.Timedelta(weeks=settle_weeks))
    return known.fillna(first)


def group_launches(dates: pd.Series, since=None, until=None) -> list[tuple[pd.Timestamp, list]]:
    """Past launches as ``[(date, [product ids])]``: products launched the same day form one
    launch (a collection); only dates in ``[since, until]`` when given, oldest first."""
    dates = dates.dropna()
    if since is not None:
        dates = dates.loc[dates >= pd.Timestamp(since)]
    if until is not None:
        dates = dates.loc[dates <= pd.Timestamp(until)]
    return [(pd.Timestamp(d), sorted(g.index.tolist())) for d, g in dates.groupby(dates)]


def adoption(
    lines: pd.DataFrame, client_ids, launches, as_of, window_weeks=WINDOW_WEEKS
) -> tuple[np.ndarray, np.ndarray, list]:
    """Which clients bought which past launch within ``window_weeks``, and how fast.

    Only launches whose window closed by ``as_of`` count, and only lines before ``as_of``.
    Returns ``(adopted (C, L) bool, weeks to first purchase (C, L) float, NaN when not
    adopted, the launches used)``.
    """
    as_of = pd.Timestamp(as_of)
    window = pd.Timedelta(weeks=window_weeks)
    used = [(d, p) for d, p in launches if d + window <= as_of]
    client_index = pd.Index(client_ids)
    adopted = np.zeros((len(client_index), len(used)), dtype=bool)
    weeks = np.full(adopted.shape, np.nan)
    if not used:
        return adopted, weeks, used
    seen = lines.loc[(lines["date"] < as_of) & (lines["units"] > 0)]
    for j, (day, prods) in enumerate(used):
        part = seen.loc[
            seen["product"].isin(prods) & (seen["date"] >= day) & (seen["date"] < day + window)
        ]
        first = part.groupby("client")["date"].min()
        rows = client_index.get_indexer(first.index)
        ok = rows >= 0
        adopted[rows[ok], j] = True
        weeks[rows[ok], j] = ((first - day) / pd.Timedelta(weeks=1)).to_numpy()[ok]
    return adopted, weeks, used


# --------------------------------------------------------------------------- rules


def history_features(lines: pd.DataFrame, client_ids, as_of, weeks=52) -> pd.DataFrame:
    """Per client, from the last ``weeks`` weeks before ``as_of``: spend, families bought,
    orders, order-gap regularity and spend share per family. Indexed by client id."""
    as_of = pd.Timestamp(as_of)
    recent = lines.loc[
        (lines["date"] < as_of) & (lines["date"] >= as_of - pd.Timedelta(weeks=weeks))
    ]
    idx = pd.Index(client_ids, name="client")
    spend = recent.groupby("client")["value"].sum().reindex(idx).fillna(0.0)
    families = recent.loc[recent["units"] > 0].groupby("client")["family"].nunique()
    days = recent[["client", "date"]].drop_duplicates().sort_values(["client", "date"])
    gaps = days.groupby("client")["date"].diff().dt.days
    gstats = gaps.groupby(days["client"]).agg(["mean", "std", "count"])
    cv = (gstats["std"] / gstats["mean"]).where(gstats["count"] >= 2)
    out = pd.DataFrame(
        {
            "spend": spend,
            "families": families.reindex(idx).fillna(0).astype(int),
            "orders": days.groupby("client").size().reindex(idx).fillna(0).astype(int),
            "gap_cv": cv.reindex(idx),
        },
        index=idx,
    )
    share = recent.pivot_table(
        index="client", columns="family", values="value", aggfunc="sum", fill_value=0.0
    )
    share = share.reindex(idx).fillna(0.0).clip(lower=0)
    total = share.sum(axis=1).replace(0, np.nan)
    share = share.div(total, axis=0).fillna(0.0)
    share.columns = [f"share:{c}" for c in share.columns]
    return out.join(share)


def rule_scores(adopted, weeks, hist: pd.DataFrame, config: RuleConfig = RuleConfig()):
    """The early-adopter score (0..1) of each client and the rules that fired.

    Rules: *repeat* (bought at least ``min_adoptions`` past launches within the window; half
    credit for one), *fast* (median weeks to the first purchase of a launch at most
    ``fast_weeks``), *broad* (at least ``broad_families`` families in the last year), *spend*
    (last year's spend in the top quartile). The score is the weighted credit. Returns
    ``(score (C,), fired: list of [{"rule", "value"}] per client)``.
    """
    n_launch = adopted.shape[1]
    k = adopted.sum(axis=1)
    med = np.full(len(k), np.nan)
    some = k > 0
    if some.any():
        med[some] = np.nanmedian(np.where(adopted, weeks, np.nan)[some], axis=1)
    spend = hist["spend"].to_numpy(dtype=float)
    positive = spend[spend > 0]
    cut = np.quantile(positive, config.spend_quantile) if len(positive) else np.inf
    fams = hist["families"].to_numpy()
    credit = {
        "repeat": np.minimum(k / max(config.min_adoptions, 1), 1.0),
        "fast": (k > 0) & (np.nan_to_num(med, nan=np.inf) <= config.fast_weeks),
        "broad": fams >= config.broad_families,
        "spend": (spend >= cut) & (spend > 0),
    }
    w = config.weights
    score = sum(w[r] * np.asarray(credit[r], dtype=float) for r in w) / sum(w.values())
    fired = []
    for i in range(len(spend)):
        rules = []
        if k[i] >= config.min_adoptions or (k[i] > 0 and n_launch <= 1):
            rules.append({"rule": "repeat", "value": int(k[i]), "of": int(n_launch)})
        if credit["fast"][i]:
            rules.append({"rule": "fast", "value": round(float(med[i]), 1)})
        if credit["broad"][i]:
            rules.append({"rule": "broad", "value": int(fams[i])})
        if credit["spend"][i]:
            rules.append({"rule": "spend", "value": round(float(spend[i]), 2)})
        fired.append(rules)
    return np.asarray(score, dtype=float), fired


# --------------------------------------------------------------------------- lookalike


def lookalike_features(clients: pd.DataFrame, hist: pd.DataFrame, min_count=5) -> np.ndarray:
    """Features of the lookalike model, none of the rules' own: province (one-hot, rare ones
    pooled), size (log spend), family mix (spend shares) and order regularity (gap CV)."""
    prov = clients.set_index("client")["province"].reindex(hist.index).fillna("").astype(str)
    counts = prov.value_counts()
    prov = prov.where(prov.map(counts) >= min_count, "other")
    onehot = pd.get_dummies(prov, prefix="prov", dtype=float)
    shares = hist[[c for c in hist.columns if c.startswith("share:")]]
    cv = hist["gap_cv"]
    X = pd.concat(
        [
            onehot,
            np.log1p(hist["spend"].clip(lower=0)).rename("log_spend"),
            shares,
            cv.fillna(cv.median() if cv.notna().any() else 1.0).rename("gap_cv"),
            cv.isna().astype(float).rename("few_orders"),
        ],
        axis=1,
    )
    return X.to_numpy(dtype=float)


@dataclass
class Lookalike:
    prob: np.ndarray  # (C,) out-of-fold probability of being an early adopter
    has_signal: bool  # enough adopters and non-adopters to learn from
    positives: int
    auc: float | None = None


def lookalike(X: np.ndarray, y: np.ndarray, seed=0, folds=5) -> Lookalike:
    """Out-of-fold probabilities that each client is an early adopter (``y``: bought a past
    launch in its window), from a regularised logistic regression on features ``X``.

    Each client's probability comes from a model that did not see it. With fewer than
    ``folds`` clients in either class the model has nothing to learn: every client gets the
    base rate and ``has_signal`` is false.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y, dtype=bool)
    pos = int(y.sum())
    if min(pos, len(y) - pos) < folds:
        base = pos / len(y) if len(y) else 0.0
        return Lookalike(np.full(len(y), base), False, pos)
    prob = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(X, y):
        model = make_pipeline(
            StandardScaler(), LogisticRegression(C=0.3, class_weight="balanced", max_iter=500)
        )
        model.fit(X[train], y[train])
        prob[test] = model.predict_proba(X[test])[:, 1]
    return Lookalike(prob, True, pos, float(roc_auc_score(y, prob)))


# --------------------------------------------------------------------------- Gower


def gower_distance(x, y, categorical, weights=None, ranges=None) -> np.ndarray:
    """Gower distance between the rows of ``x`` (n, k) and ``y`` (m, k), vectorised over pairs.

    Column ``j`` is categorical when ``categorical[j]``: distance 0 if equal, else 1; otherwise
    numeric: ``|a - b| / range`` with ``range`` from ``ranges`` or from ``x`` and ``y``
    together (a zero range contributes 0). A pair missing a value in a column (``None``/NaN)
    leaves that column out of both the weighted sum and the weights (Gower, 1971); a pair with
    no column in common gets NaN. Returns the (n, m) weighted mean of the columns' distances.
    """
    x = np.asarray(x, dtype=object)
    y = np.asarray(y, dtype=object)
    if x.ndim == 1:
        x = x[None, :]
    if y.ndim == 1:
        y = y[None, :]
    k = x.shape[1]
    categorical = np.asarray(categorical, dtype=bool)
    weights = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    total = np.zeros((x.shape[0], y.shape[0]))
    weight = np.zeros_like(total)
    for j in range(k):
        if weights[j] <= 0:
            continue
        a, b = x[:, j], y[:, j]
        if categorical[j]:
            am, bm = _missing(a), _missing(b)
            d = (a[:, None] != b[None, :]).astype(float)
        else:
            a, b = _floats(a), _floats(b)
            am, bm = np.isnan(a), np.isnan(b)
            if ranges is not None and ranges[j] is not None:
                span = float(ranges[j])
            else:
                both = np.concatenate([a[~am], b[~bm]])
                span = float(both.max() - both.min()) if len(both) else 0.0
            d = np.abs(a[:, None] - b[None, :]) / span if span > 0 else np.zeros(total.shape)
        ok = ~(am[:, None] | bm[None, :])
        total += np.where(ok, weights[j] * np.nan_to_num(d), 0.0)
        weight += np.where(ok, weights[j], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def _missing(values):
    return np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in values])


def _floats(values):
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        try:
            out[i] = float(v) if v is not None else np.nan
        except (TypeError, ValueError):
            out[i] = np.nan
    return out


#: Product columns compared by the Gower distance, with whether each is categorical.
BASE_COLUMNS = (("family", True), ("line", True), ("kind", True), ("log_price", False))


def product_matrix(products: pd.DataFrame, weights: dict | None = None):
    """The product table the Gower distance compares: ``(values (P, k) object array,
    categorical (k,), weights (k,), column names)``. Free attributes (``attr:<key>``) are
    numeric when every value given is a number, else categorical; a weight of the ``weights``
    mapping (column name without ``attr:``) overrides the default 1."""
    weights = weights or {}
    cols, cats, values = [], [], []
    price = pd.to_numeric(products["price"], errors="coerce")
    base = {
        "family": products["family"],
        "line": products["line"],
        "kind": products["kind"],
        "log_price": np.log10(price.where(price > 0)),
    }
    for name, is_cat in BASE_COLUMNS:
        cols.append(name)
        cats.append(is_cat)
        values.append(base[name].to_numpy(dtype=object))
    for col in sorted(c for c in products.columns if c.startswith("attr:")):
        raw = products[col]
        given = raw.dropna()
        is_num = len(given) > 0 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in given
        )
        key = col.removeprefix("attr:")
        cols.append(key if key not in dict(BASE_COLUMNS) else f"attributes.{key}")
        cats.append(not is_num)
        values.append(raw.to_numpy(dtype=object))
    w = np.array([float(weights.get(c, 1.0)) for c in cols])
    matrix = np.empty((len(products), len(cols)), dtype=object)
    for j, v in enumerate(values):
        matrix[:, j] = [None if (isinstance(e, float) and np.isnan(e)) else e for e in v]
    return matrix, np.array(cats), w, cols


def appetence(spend_share: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """How close each new product is to what each client buys: the spend-weighted mean of the
    similarity (1 - Gower distance) between the client's products and the new one.

    ``spend_share`` (C, P) rows sum to 1 (or 0 for a client without purchases);
    ``similarity`` (P, N) (NaN counts as 0). Returns (C, N) in 0..1.
    """
    return np.clip(spend_share @ np.nan_to_num(similarity, nan=0.0), 0.0, 1.0)


def spend_shares(lines: pd.DataFrame, client_ids, product_ids, as_of, weeks=52) -> np.ndarray:
    """(C, P): each client's share of last-year spend per product (rows sum to 1 or 0)."""
    as_of = pd.Timestamp(as_of)
    recent = lines.loc[
        (lines["date"] < as_of)
        & (lines["date"] >= as_of - pd.Timedelta(weeks=weeks))
        & (lines["value"] > 0)
    ]
    table = recent.pivot_table(
        index="client", columns="product", values="value", aggfunc="sum", fill_value=0.0
    )
    table = table.reindex(index=pd.Index(client_ids), columns=pd.Index(product_ids)).fillna(0.0)
    m = table.to_numpy(dtype=float)
    s = m.sum(axis=1, keepdims=True)
    return np.divide(m, s, out=np.zeros_like(m), where=s > 0)


# --------------------------------------------------------------------------- subgroups


def band_index(values, edges):
    """Band of each value: 0..len(edges)-2 (the last band includes its upper edge)."""
    return np.clip(
        np.searchsorted(np.asarray(edges)[1:-1], values, side="right"), 0, len(edges) - 2
    )


def band_label(lo, hi, last):
    return f"{lo:.1f}–{hi:.1f}" if not last else f"≥ {lo:.1f}"


def band_table(look, app, bought, look_edges=LOOK_EDGES, app_edges=APP_EDGES, shrink=BAND_SHRINK):
    """Conversion of past-launch targets by (lookalike band x appetence band).

    Returns a DataFrame with one row per band (``look_band, app_band, look_lo, look_hi,
    app_lo, app_hi, n, buyers, conversion, shrunk, lift``); ``shrunk`` pulls a band's rate
    toward the overall rate by ``shrink`` pseudo-clients, so small bands do not look best by
    chance; ``lift`` is ``shrunk`` over the overall rate.
    """
    look, app = np.asarray(look, float), np.asarray(app, float)
    bought = np.asarray(bought, bool)
    li, ai = band_index(look, look_edges), band_index(app, app_edges)
    base = bought.mean() if len(bought) else 0.0
    rows = []
    for i in range(len(look_edges) - 1):
        for j in range(len(app_edges) - 1):
            m = (li == i) & (ai == j)
            n, b = int(m.sum()), int(bought[m].sum())
            shrunk = (b + shrink * base) / (n + shrink) if (n + shrink) > 0 else 0.0
            rows.append(
                {
                    "look_band": i,
                    "app_band": j,
                    "look_lo": look_edges[i],
                    "look_hi": look_edges[i + 1],
                    "app_lo": app_edges[j],
                    "app_hi": app_edges[j + 1],
                    "n": n,
                    "buyers": b,
                    "conversion": b / n if n else None,
                    "shrunk": shrunk,
                    "lift": shrunk / base if base > 0 else None,
                }
            )
    return pd.DataFrame(rows)


def band_rates(table: pd.DataFrame, look, app, look_edges=LOOK_EDGES, app_edges=APP_EDGES):
    """Each client's band conversion (shrunk) from a :func:`band_table`."""
    li, ai = (
        band_index(np.asarray(look, float), look_edges),
        band_index(np.asarray(app, float), app_edges),
    )
    grid = np.zeros((len(look_edges) - 1, len(app_edges) - 1))
    if len(table):
        grid[table["look_band"].to_numpy(), table["app_band"].to_numpy()] = table["shrunk"]
    return grid[li, ai]


# --------------------------------------------------------------------------- combination


def _logit(p):
    p = np.clip(np.asarray(p, float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass
class Combiner:
    """The final score: a logistic regression of past-launch conversion on the rule score,
    the lookalike probability, the appetence and the logit of the band's conversion, fitted on
    past launches' targets. Without two classes in the history, a fixed blend."""

    table: pd.DataFrame
    model: object = None
    rows: int = 0
    base_rate: float = 0.0

    FALLBACK = (0.4, 0.3, 0.3)

    def _X(self, rule, look, app):
        band = band_rates(self.table, look, app)
        return np.column_stack([rule, look, app, _logit(band)])

    @property
    def has_signal(self):
        return self.model is not None

    def predict(self, rule, look, app) -> np.ndarray:
        rule, look, app = (np.asarray(v, float) for v in (rule, look, app))
        if self.model is None:
            a, b, c = self.FALLBACK
            return a * rule + b * look + c * app
        return self.model.predict_proba(self._X(rule, look, app))[:, 1]


def fit_combiner(rule, look, app, bought) -> Combiner:
    """Fit :class:`Combiner` on past launches' targets (one row per client and launch)."""
    from sklearn.linear_model import LogisticRegression

    rule, look, app = (np.asarray(v, float) for v in (rule, look, app))
    bought = np.asarray(bought, bool)
    table = band_table(look, app, bought)
    comb = Combiner(
        table=table, rows=len(bought), base_rate=float(bought.mean()) if len(bought) else 0.0
    )
    if len(bought) < 20 or bought.sum() < 3 or (~bought).sum() < 3:
        return comb
    model = LogisticRegression(C=1.0, max_iter=500)
    model.fit(comb._X(rule, look, app), bought)
    comb.model = model
    return comb


# --------------------------------------------------------------------------- one targeting


@dataclass
class Targeting:
    """Scores of every client for one launch as of a date (rows follow ``clients``)."""

    client_ids: np.ndarray
    product_ids: list  # the launch's products, columns of ``appetence``
    rule: np.ndarray
    fired: list
    look: Lookalike
    appetence: np.ndarray  # (C, N)
    best: np.ndarray  # (C,) column of the nearest new product
    combined: np.ndarray  # (C,) probability of buying within the window
    combiner: Combiner
    hist: pd.DataFrame
    past_launches: int
    units_per_adopter: float


@dataclass
class Data:
    """Everything a targeting reads, already in frames (see the module docstring)."""

    lines: pd.DataFrame
    clients: pd.DataFrame
    products: pd.DataFrame
    weights: dict = field(default_factory=dict)
    config: RuleConfig = field(default_factory=RuleConfig)

    def __post_init__(self):
        self.dates = launch_dates(self.products, self.lines)
        self._matrix, self._cats, self._w, self.columns = product_matrix(
            self.products, self.weights
        )
        self._pindex = pd.Index(self.products["product"])
        self._sim = None
        self._memo = {}
        first = self.lines["date"].min() if len(self.lines) else None
        self.start = first

    def similarity(self):
        """(P, P) similarity between every two products (1 - Gower distance), cached."""
        if self._sim is None:
            d = gower_distance(self._matrix, self._matrix, self._cats, self._w)
            self._sim = 1.0 - d
        return self._sim


def _scores(data: Data, as_of, new_products, exclude=()):
    """Rule, lookalike and appetence scores of every client as of ``as_of`` for a launch of
    ``new_products``; past launches exclude ``exclude`` (the launch's own products). Memoised
    per (date, products): they depend only on the history before ``as_of``."""
    as_of = pd.Timestamp(as_of)
    key = (as_of, tuple(new_products), tuple(exclude))
    if key not in data._memo:
        data._memo[key] = _compute_scores(data, as_of, new_products, exclude)
    return data._memo[key]


def _compute_scores(data: Data, as_of, new_products, exclude):
    client_ids = data.clients["client"].to_numpy()
    cfg = data.config
    launches = [
        (d, [p for p in prods if p not in set(exclude)])
        for d, prods in group_launches(data.dates, since=data.start, until=as_of)
    ]
    launches = [(d, p) for d, p in launches if p]
    adopted, weeks, used = adoption(data.lines, client_ids, launches, as_of, cfg.window_weeks)
    hist = history_features(data.lines, client_ids, as_of)
    rule, fired = rule_scores(adopted, weeks, hist, cfg)
    X = lookalike_features(data.clients, hist)
    look = lookalike(X, adopted.any(axis=1))
    # Appetence: products known before as_of (no launch after it), versus the new ones.
    pid = data._pindex
    cols = pid.get_indexer(list(new_products))
    shares = spend_shares(data.lines, client_ids, pid, as_of)
    sim = data.similarity()[:, cols]
    app = appetence(shares, sim)
    return rule, fired, look, app, hist, used, adopted


def target(data: Data, as_of, new_products, min_history_launches=1) -> Targeting:
    """Score every client for a launch of ``new_products`` with the history before ``as_of``.

    The combination is fitted on the past launches whose window closed by ``as_of``: each is
    re-targeted with the history before its own date (its rules and lookalike from the launches
    before it), and who bought it in its window is the outcome.
    """
    as_of = pd.Timestamp(as_of)
    new_products = list(new_products)
    rule, fired, look, app, hist, used, adopted = _scores(data, as_of, new_products, new_products)
    # Training rows for the combination: each past launch, targeted as of its own date.
    rows_r, rows_l, rows_a, rows_y = [], [], [], []
    for k, (day, prods) in enumerate(used):
        if k < min_history_launches:
            continue
        r, _, lk, ap, _, _, _ = _scores(data, day, prods, prods)
        rows_r.append(r)
        rows_l.append(lk.prob)
        rows_a.append(ap.max(axis=1))
        rows_y.append(adopted[:, k])
    if rows_y:
        comb = fit_combiner(
            np.concatenate(rows_r),
            np.concatenate(rows_l),
            np.concatenate(rows_a),
            np.concatenate(rows_y),
        )
    else:
        comb = fit_combiner([], [], [], [])
    best = app.argmax(axis=1) if app.shape[1] else np.zeros(len(rule), dtype=int)
    best_app = app[np.arange(len(rule)), best] if app.shape[1] else np.zeros(len(rule))
    combined = comb.predict(rule, look.prob, best_app)
    return Targeting(
        client_ids=data.clients["client"].to_numpy(),
        product_ids=new_products,
        rule=rule,
        fired=fired,
        look=look,
        appetence=app,
        best=best,
        combined=combined,
        combiner=comb,
        hist=hist,
        past_launches=len(used),
        units_per_adopter=_units_per_adopter(data.lines, used, data.config.window_weeks),
    )


def _units_per_adopter(lines, used, window_weeks):
    """Median units an adopter bought of a past launch in its window (1 without history)."""
    per = []
    for day, prods in used:
        part = lines.loc[
            lines["product"].isin(prods)
            & (lines["date"] >= day)
            & (lines["date"] < day + pd.Timedelta(weeks=window_weeks))
        ]
        if len(part):
            per.append(part.groupby("client")["units"].sum())
    if not per:
        return 1.0
    units = pd.concat(per)
    units = units.loc[units > 0]
    return float(units.median()) if len(units) else 1.0


def expected_value(targeting: Targeting, prices) -> np.ndarray:
    """Expected first-quarter euros per client: P(buy) x price of the nearest new product x
    the median units an adopter bought of past launches x the client's size relative to the
    median client (clipped to 0.25..4)."""
    price = np.nan_to_num(np.asarray(prices, float), nan=0.0)[targeting.best]
    spend = targeting.hist["spend"].to_numpy(dtype=float)
    positive = spend[spend > 0]
    median = float(np.median(positive)) if len(positive) else 1.0
    size = np.clip(spend / median if median > 0 else 1.0, 0.25, 4.0)
    return targeting.combined * price * targeting.units_per_adopter * size


def select_targets(combined, reps, per_rep) -> np.ndarray:
    """Boolean mask: each rep's ``per_rep`` clients with the highest score (ties by order)."""
    combined = np.asarray(combined, float)
    reps = np.asarray(reps, dtype=object)
    chosen = np.zeros(len(combined), dtype=bool)
    for rep in pd.unique(reps):
        idx = np.flatnonzero(reps == rep)
        top = idx[np.argsort(-combined[idx], kind="stable")[:per_rep]]
        chosen[top] = True
    return chosen


# --------------------------------------------------------------------------- backtest


def bought_in_window(lines, client_ids, products, day, window_weeks=WINDOW_WEEKS) -> np.ndarray:
    """(C,) whether each client bought one of ``products`` in ``[day, day + window)``."""
    day = pd.Timestamp(day)
    part = lines.loc[
        lines["product"].isin(list(products))
        & (lines["date"] >= day)
        & (lines["date"] < day + pd.Timedelta(weeks=window_weeks))
        & (lines["units"] > 0)
    ]
    return np.isin(np.asarray(client_ids), part["client"].unique())


def top_k(score, k, rng=None):
    """Indices of the ``k`` highest scores (ties broken at random when ``rng`` is given)."""
    score = np.asarray(score, float)
    noise = rng.random(len(score)) * 1e-9 if rng is not None else 0.0
    return np.argsort(-(score + noise), kind="stable")[:k]


def backtest(data: Data, k_frac=0.10, min_before_weeks=26, seed=0, end=None):
    """Hide each past launch, target it with the history before its date, and check who bought
    in the next ``window_weeks``. Returns a DataFrame, one row per launch and method
    (``combined``, ``rules``, ``top_spenders``, ``random``): ``k, buyers, hits, conversion,
    base_rate, lift, recall``. ``random`` is the expectation over random draws (its
    conversion is the base rate). Launches need ``min_before_weeks`` of history before them and
    a window that closed by the last line (or ``end``)."""
    rng = np.random.default_rng(seed)
    first = data.lines["date"].min()
    last = pd.Timestamp(end) if end is not None else data.lines["date"].max()
    window = pd.Timedelta(weeks=data.config.window_weeks)
    launches = group_launches(
        data.dates, since=first + pd.Timedelta(weeks=min_before_weeks), until=last - window
    )
    client_ids = data.clients["client"].to_numpy()
    k = max(1, int(round(k_frac * len(client_ids))))
    rows = []
    for day, prods in launches:
        t = target(data, day, prods)
        y = bought_in_window(data.lines, client_ids, prods, day, data.config.window_weeks)
        base = float(y.mean())
        methods = {
            "combined": top_k(t.combined, k, rng),
            "rules": top_k(t.rule, k, rng),
            "top_spenders": top_k(t.hist["spend"].to_numpy(float), k, rng),
        }
        for name, idx in methods.items():
            hits = int(y[idx].sum())
            rows.append(_row(day, prods, name, k, y, hits, base))
        rows.append(_row(day, prods, "random", k, y, base * k, base))
    return pd.DataFrame(rows), launches


def _row(day, prods, method, k, y, hits, base):
    buyers = int(y.sum())
    conv = hits / k
    return {
        "launch": day.date().isoformat(),
        "products": len(prods),
        "method": method,
        "k": k,
        "buyers": buyers,
        "hits": float(hits),
        "conversion": conv,
        "base_rate": base,
        "lift": conv / base if base > 0 else float("nan"),
        "recall": hits / buyers if buyers else float("nan"),
    }


def summarise(results: pd.DataFrame, n_clients: int) -> pd.DataFrame:
    """Pooled over launches, per method: conversion of the top k, lift over the pooled base
    rate (buyers over clients x launches) and recall (hits over buyers)."""
    g = results.groupby("method", sort=False)
    out = pd.DataFrame(
        {
            "launches": g.size(),
            "targets": g["k"].sum(),
            "hits": g["hits"].sum(),
            "buyers": g["buyers"].sum(),
        }
    )
    out["conversion"] = out["hits"] / out["targets"]
    base = out["buyers"] / (out["launches"] * n_clients)
    out["lift"] = out["conversion"] / base
    out["recall"] = out["hits"] / out["buyers"]
    return out
