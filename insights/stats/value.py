"""Next-quarter net value per client (13 weeks after ``as_of``) with an 80 % interval.

Four forecasters, compared by ``bench_insights --value-only`` on held-out quarters:

- **gradient boosting** (:func:`fit`): three ``HistGradientBoostingRegressor`` with quantile
  loss (0.1, 0.5, 0.9) on the client features of :mod:`insights.stats.features` plus the
  value of the last quarter, the quarter before it and the same quarter a year before, trained
  on replayed snapshots whose next 13 weeks are known. The interval is conformalised (CQR,
  Romano et al. 2019) on the newest snapshots, then the three models are refit on all of them.
- **twins sum** (:func:`twins_sum`): the twins' expected euros per (client, family) over the
  horizon summed per client; the twins give no interval for a sum, so it gets the empirical one.
- **same as last quarter** (:func:`last_quarter`) and **seasonal naive**
  (:func:`same_quarter_last_year`).

Empirical interval (:func:`empirical_interval`) for any point forecast: quantiles of
``log1p(actual) - log1p(forecast)`` on calibration rows (negative values clipped at 0 for the
log), applied to new forecasts: a multiplicative band around 1 + forecast.

Metrics (:func:`metrics`): MAE in euros; MAPE over the clients whose actual value is above
zero only (a zero actual has no percentage error; clients who bought nothing count in MAE and
WAPE); WAPE = sum |error| / sum |actual|; coverage = share of actuals inside [low, high].
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from . import features as F
from .threads import limited

HORIZON_DAYS = 91  # 13 weeks
LEVEL = 0.8
QUANTILES = (0.1, 0.5, 0.9)
#: The value columns added to the client features.
VALUE_COLUMNS = ("value_last_quarter", "value_prev_quarter", "value_same_quarter_last_year")
VALUE_FEATURES = tuple(c for c in F.COLUMNS if c != "share_of_wallet") + VALUE_COLUMNS
#: Fewer training rows than this: no model, "same as last quarter" with its empirical interval.
MIN_ROWS = 200
SEED = 0
DAY = np.timedelta64(1, "D")


def window_value(lines, start, end, clients) -> np.ndarray:
    """(C,) net value of each client's lines dated in (start, end] (returns included)."""
    dates = lines["date"].to_numpy().astype("datetime64[D]")
    a = np.datetime64(pd.Timestamp(start).date(), "D")
    b = np.datetime64(pd.Timestamp(end).date(), "D")
    sel = (dates > a) & (dates <= b)
    s = lines.loc[sel].groupby("client")["value"].sum()
    return s.reindex(pd.Index(clients)).fillna(0.0).to_numpy(dtype=float)


def future_value(lines, as_of, clients, days=HORIZON_DAYS) -> np.ndarray:
    """(C,) the target: net value in the ``days`` after ``as_of``."""
    t = pd.Timestamp(as_of)
    return window_value(lines, t, t + pd.Timedelta(days=days), clients)


def last_quarter(lines, as_of, clients, days=HORIZON_DAYS) -> np.ndarray:
    """Baseline "same as last quarter": net value in the ``days`` up to ``as_of``."""
    t = pd.Timestamp(as_of)
    return window_value(lines, t - pd.Timedelta(days=days), t, clients)


def same_quarter_last_year(lines, as_of, clients, days=HORIZON_DAYS) -> np.ndarray:
    """Seasonal naive: net value in the same ``days`` a year (52 weeks) before the target."""
    t = pd.Timestamp(as_of) - pd.Timedelta(days=364)
    return window_value(lines, t, t + pd.Timedelta(days=days), clients)


def value_features(lines, as_of, clients, potential=None) -> pd.DataFrame:
    """The client features plus the three quarter values (index: client)."""
    X = F.client_features(lines, as_of, clients, potential)
    t = pd.Timestamp(as_of)
    q = pd.Timedelta(days=HORIZON_DAYS)
    X["value_last_quarter"] = last_quarter(lines, t, X.index)
    X["value_prev_quarter"] = window_value(lines, t - 2 * q, t - q, X.index)
    X["value_same_quarter_last_year"] = same_quarter_last_year(lines, t, X.index)
    return X


def training_frame(lines, dates, clients_days=365):
    """Features and 13-week targets at each replay date, over the clients with an order in
    the ``clients_days`` before it. Returns (X with a ``snapshot`` column, y)."""
    frames, ys = [], []
    for i, t in enumerate(dates):
        clients = F.active_clients(lines, t, clients_days)
        if not len(clients):
            continue
        X = value_features(lines, t, clients)
        X["snapshot"] = i
        frames.append(X)
        ys.append(future_value(lines, t, clients))
    if not frames:
        return pd.DataFrame(columns=[*VALUE_FEATURES, "snapshot"]), np.zeros(0)
    return pd.concat(frames), np.concatenate(ys)


def snapshot_dates(as_of, n=10, step_days=28):
    """The ``n`` replay dates, oldest first, whose 13 weeks are over by ``as_of``."""
    last = pd.Timestamp(as_of) - pd.Timedelta(days=HORIZON_DAYS)
    return [last - pd.Timedelta(days=step_days * i) for i in range(n - 1, -1, -1)]


# --------------------------------------------------------------------------- intervals


def _log1p0(x):
    return np.log1p(np.maximum(np.asarray(x, dtype=float), 0.0))


def residual_quantiles(pred, actual, level=LEVEL):
    """(lo, hi): the (1 - level) / 2 and (1 + level) / 2 quantiles of log1p(actual) -
    log1p(pred) on calibration rows."""
    r = _log1p0(actual) - _log1p0(pred)
    a = (1.0 - level) / 2.0
    return float(np.quantile(r, a)), float(np.quantile(r, 1.0 - a))


def empirical_interval(pred, q):
    """(low, high) around ``pred`` from :func:`residual_quantiles` ``q``."""
    base = _log1p0(pred)
    return np.expm1(base + q[0]), np.expm1(base + q[1])


# --------------------------------------------------------------------------- the model


@dataclass
class ValueModel:
    columns: tuple
    has_signal: bool
    n_train: int
    models: dict = field(default_factory=dict)  # quantile -> regressor
    conformal: float = 0.0  # euros added to each side of the quantile interval (CQR)
    fallback_q: tuple = (0.0, 0.0)  # empirical interval of last quarter, without signal

    @limited
    def predict(self, X: pd.DataFrame):
        """(expected, low, high), each (C,): the median and the conformalised 80 % interval;
        without signal, last quarter's value and its empirical interval."""
        if not self.has_signal:
            point = np.maximum(X["value_last_quarter"].to_numpy(dtype=float), 0.0)
            low, high = empirical_interval(point, self.fallback_q)
            return point, low, high
        M = X[list(self.columns)].to_numpy(dtype=float)
        lo, mid, hi = (self.models[q].predict(M) for q in QUANTILES)
        lo, hi = np.minimum(lo, mid), np.maximum(hi, mid)
        low = np.maximum(lo - self.conformal, 0.0)
        high = hi + self.conformal
        return np.maximum(mid, 0.0), low, np.maximum(high, np.maximum(mid, 0.0))


def _regressors(M, y, seed=SEED):
    out = {}
    for q in QUANTILES:
        m = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=q,
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            random_state=seed,
        )
        out[q] = m.fit(M, y)
    return out


def conformal_margin(lo, hi, y, level=LEVEL):
    """The CQR margin: the k-th smallest of the scores max(lo - y, y - hi), k = ceil((n + 1)
    level) (at most n); negative when the interval is wider than it needs to be."""
    s = np.sort(np.maximum(np.asarray(lo) - y, np.asarray(y) - hi))
    n = len(s)
    if n == 0:
        return 0.0
    k = min(n, int(np.ceil((n + 1) * level)))
    return float(s[k - 1])


@limited
def fit(X: pd.DataFrame, y: np.ndarray, columns=VALUE_FEATURES, calib_share=0.25) -> ValueModel:
    """Quantile boosting on the older snapshots, the CQR margin on the newest ``calib_share``
    of them, then the three models refit on all rows. ``X`` carries a ``snapshot`` column."""
    y = np.asarray(y, dtype=float)
    fallback = (0.0, 0.0)
    if len(y):
        fallback = residual_quantiles(X["value_last_quarter"].to_numpy(dtype=float), y)
    if len(y) < MIN_ROWS:
        return ValueModel(columns, False, len(y), fallback_q=fallback)
    snap = X["snapshot"].to_numpy()
    order = np.unique(snap)
    n_cal = max(1, int(round(len(order) * calib_share)))
    cal = np.isin(snap, order[-n_cal:]) if len(order) > 1 else np.zeros(len(y), bool)
    M = X[list(columns)].to_numpy(dtype=float)
    margin = 0.0
    if cal.any() and (~cal).sum() >= MIN_ROWS:
        early = _regressors(M[~cal], y[~cal])
        lo = early[QUANTILES[0]].predict(M[cal])
        hi = early[QUANTILES[-1]].predict(M[cal])
        margin = conformal_margin(lo, hi, y[cal])
    return ValueModel(
        columns, True, len(y), _regressors(M, y), conformal=margin, fallback_q=fallback
    )


# --------------------------------------------------------------------------- twins, metrics


def twins_sum(pair_client, forecast_units, unit_price, scale=1.0) -> pd.Series:
    """Per client: the sum over its pairs of the twins' expected units over their horizon x
    the pair's unit price, times ``scale`` (13 / the twins' horizon in weeks when it differs)."""
    euros = np.asarray(forecast_units, float) * np.nan_to_num(np.asarray(unit_price, float))
    s = pd.Series(euros * scale).groupby(np.asarray(pair_client)).sum()
    s.index.name = "client"
    return s


def metrics(actual, expected, low=None, high=None) -> dict:
    """MAE, MAPE (over actual > 0), WAPE and, given an interval, its coverage."""
    a = np.asarray(actual, float)
    e = np.asarray(expected, float)
    err = np.abs(e - a)
    pos = a > 0
    out = {
        "mae": float(err.mean()) if len(a) else float("nan"),
        "mape": float((err[pos] / a[pos]).mean()) if pos.any() else float("nan"),
        "wape": float(err.sum() / np.abs(a).sum()) if np.abs(a).sum() > 0 else float("nan"),
        "coverage": float("nan"),
        "n": int(len(a)),
    }
    if low is not None and high is not None:
        out["coverage"] = float(((a >= np.asarray(low)) & (a <= np.asarray(high))).mean())
    return out


#: The twins sum's log1p residual quantiles (10 %, 90 %) until the refit has its own forecasts
#: of a quarter ago to calibrate on: the mean over the held-out quarters of
#: ``bench_insights --value-only`` (twins' 8-week forecast x 13/8, as stored).
DEFAULT_TWINS_Q = (-0.64, 0.39)

#: Room to grow: forecast at least this multiple of last quarter's value and at least
#: :data:`ROOM_MIN_EUROS` more than it.
ROOM_RATIO = 1.5
ROOM_MIN_EUROS = 1000.0


def room_to_grow(expected, last_q, ratio=ROOM_RATIO, min_euros=ROOM_MIN_EUROS) -> np.ndarray:
    """(C,) euros of room to grow: forecast - last quarter where the forecast is at least
    ``ratio`` x last quarter and at least ``min_euros`` above it, else 0."""
    e = np.asarray(expected, float)
    last = np.maximum(np.asarray(last_q, float), 0.0)
    gap = e - last
    return np.where((e >= ratio * last) & (gap >= min_euros), gap, 0.0)
