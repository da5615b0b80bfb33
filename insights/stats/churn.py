"""Client churn risk: P(no order at all in the next 90 days), from gradient boosting on
replayed history (snapshots every ``step_days`` whose 90-day outcome is known by ``as_of``),
calibrated by Platt scaling on the latest snapshots (a time split: never on rows it fitted).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from . import features as F
from .threads import limited

HORIZON_DAYS = 90
#: Features the model reads (``features.COLUMNS`` without share of wallet, often unknown, and
#: the voice and campaign signals ``features.SIGNAL_COLUMNS``: sentiment, complaints, NPS,
#: campaign response; callers may add extra columns, such as the twins' p_active, through
#: ``extra``).
CHURN_FEATURES = tuple(c for c in F.COLUMNS if c != "share_of_wallet") + F.SIGNAL_COLUMNS
#: Fewer positive (or negative) training rows than this: no model, the recency rule instead.
MIN_EVENTS = 20
SEED = 0


@dataclass
class ChurnModel:
    columns: tuple
    has_signal: bool
    base_rate: float
    n_train: int
    n_events: int
    model: object = None
    platt: object = None
    medians: np.ndarray = None
    validation: dict = field(default_factory=dict)

    @limited
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """(C,) calibrated P(no order in the next 90 days); the recency rule without signal."""
        if not self.has_signal:
            return recency_rule(X)
        raw = self.model.predict_proba(_matrix(X, self.columns))[:, 1]
        return self.platt.predict_proba(_logit(raw)[:, None])[:, 1]


def recency_rule(X: pd.DataFrame) -> np.ndarray:
    """The baseline: a logistic curve of recency over the client's own gap (0.5 at 3 gaps)."""
    ratio = X["recency_ratio"].to_numpy(dtype=float)
    return 1.0 / (1.0 + np.exp(-1.5 * (np.log1p(np.maximum(ratio, 0)) - np.log1p(3.0)) * 3))


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _matrix(X, columns):
    return X[list(columns)].to_numpy(dtype=float)


def training_sample(lines, max_clients=4000, seed=SEED):
    """The lines (or :class:`~insights.stats.features.History`) of at most ``max_clients``
    clients drawn at random (fixed seed): the replayed snapshots cost one feature pass each,
    and a few thousand clients x 12 snapshots are enough rows to train on."""
    if isinstance(lines, F.History):
        clients = lines.labels.to_numpy()
    else:
        clients = np.unique(lines["client"].to_numpy())
    if len(clients) <= max_clients:
        return lines
    keep = np.random.default_rng(seed).choice(clients, max_clients, replace=False)
    if isinstance(lines, F.History):
        return lines.restrict(keep)
    return lines.loc[lines["client"].isin(keep)]


def snapshot_dates(as_of, n=12, step_days=28, horizon=HORIZON_DAYS):
    """The ``n`` replay dates, oldest first, each leaving its full horizon before ``as_of``."""
    last = pd.Timestamp(as_of) - pd.Timedelta(days=horizon)
    return [last - pd.Timedelta(days=step_days * i) for i in range(n - 1, -1, -1)]


#: The population scored: clients with an order in the last ACTIVE_DAYS (the others have
#: already gone 90 days without one).
ACTIVE_DAYS = 90


def training_frame(lines, dates, extra=None, horizon=HORIZON_DAYS, signals=None):
    """Features and labels of the clients still buying (an order in the last
    :data:`ACTIVE_DAYS`) at each date. ``lines``: a DataFrame or a ``features.History``.
    ``signals``: a ``features.Signals``, read as of each date (neutral without it).

    ``extra``: optional callable ``(date, clients) -> DataFrame`` of additional columns.
    Returns (X with a ``snapshot`` column, y bool)."""
    history = F.History.of(lines)  # sorted once for every date
    frames, ys = [], []
    for i, t in enumerate(dates):
        clients = history.active(t, ACTIVE_DAYS)
        if not len(clients):
            continue
        X = history.features(t, clients, signals=signals)
        if extra is not None:
            X = X.join(extra(t, clients))
        X["snapshot"] = i
        frames.append(X)
        ys.append(history.no_order_within(t, clients, horizon))
    if not frames:
        return pd.DataFrame(columns=[*CHURN_FEATURES, "snapshot"]), np.zeros(0, dtype=bool)
    return pd.concat(frames), np.concatenate(ys)


@limited
def fit(X: pd.DataFrame, y: np.ndarray, columns=CHURN_FEATURES, calib_share=0.25) -> ChurnModel:
    """Gradient boosting on the older snapshots, Platt-calibrated on the newest ones.

    ``X`` carries a ``snapshot`` column (0 = oldest). Below :data:`MIN_EVENTS` events in either
    part the model is flagged without signal and predicts with :func:`recency_rule`.
    """
    y = np.asarray(y, dtype=bool)
    base = float(y.mean()) if len(y) else 0.0
    # A feature without a single value in the training rows (no client ever answered a
    # survey: ``nps_last`` all NaN) is left out; gradient boosting cannot bin it.
    columns = tuple(c for c in columns if len(X) == 0 or X[c].notna().any())
    snaps = X["snapshot"].to_numpy() if len(X) else np.zeros(0)
    uniq = np.unique(snaps)
    n_cal = max(1, int(round(len(uniq) * calib_share)))
    cal_mask = np.isin(snaps, uniq[-n_cal:]) if len(uniq) > 1 else np.zeros(len(y), bool)
    tr = ~cal_mask
    enough = (
        len(uniq) > 1
        and min(y[tr].sum(), (~y[tr]).sum()) >= MIN_EVENTS
        and min(y[cal_mask].sum(), (~y[cal_mask]).sum()) >= 5
    )
    model = ChurnModel(tuple(columns), bool(enough), base, int(len(y)), int(y.sum()))
    if not enough:
        return model
    gb = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        min_samples_leaf=40,
        random_state=SEED,
    )
    gb.fit(_matrix(X.loc[tr], columns), y[tr])
    raw = gb.predict_proba(_matrix(X.loc[cal_mask], columns))[:, 1]
    platt = LogisticRegression(C=1e4).fit(_logit(raw)[:, None], y[cal_mask])
    model.model, model.platt = gb, platt
    model.medians = np.nanmedian(_matrix(X.loc[tr], columns), axis=0)
    cal_p = platt.predict_proba(_logit(raw)[:, None])[:, 1]
    model.validation = {
        "calibration_rows": int(cal_mask.sum()),
        "calibration_auc": float(roc_auc_score(y[cal_mask], raw)),
        "calibration_brier": float(np.mean((cal_p - y[cal_mask]) ** 2)),
    }
    # Refit on everything for scoring, keeping the calibration learnt out of sample.
    gb_all = HistGradientBoostingClassifier(**gb.get_params()).fit(_matrix(X, columns), y)
    model.model = gb_all
    return model


def _finite_or_none(x):
    """A reason's value for JSON: a missing one (NaN, e.g. no NPS answer) is None, which
    PostgreSQL's jsonb accepts and the narratives word as "no answer"."""
    x = float(x)
    return x if np.isfinite(x) else None


@limited
def reasons(model: ChurnModel, X: pd.DataFrame, top=3) -> list:
    """Per client, up to ``top`` features that raise its risk most: (name, value, delta p),
    delta p being the drop in P when the feature is set to the training median."""
    if not model.has_signal or not len(X):
        ratio = X["recency_ratio"].to_numpy(dtype=float) if len(X) else []
        return [[("recency_ratio", _finite_or_none(r), None)] for r in ratio]
    M = _matrix(X, model.columns)
    p = model.predict(X)
    deltas = np.zeros_like(M)
    for j in range(M.shape[1]):  # one vectorised prediction per feature, not per client
        alt = M.copy()
        alt[:, j] = model.medians[j]
        pa = model.platt.predict_proba(_logit(model.model.predict_proba(alt)[:, 1])[:, None])
        deltas[:, j] = p - pa[:, 1]
    order = np.argsort(-deltas, axis=1)[:, :top]
    out = []
    for i in range(len(M)):
        out.append(
            [
                (model.columns[j], _finite_or_none(M[i, j]), float(deltas[i, j]))
                for j in order[i]
                if deltas[i, j] > 0.005
            ]
        )
    return out


def tiers(p: np.ndarray, high=0.7, medium=0.4) -> np.ndarray:
    """'high' above ``high``, 'medium' from ``medium`` to ``high``, else 'low'."""
    p = np.asarray(p, dtype=float)
    return np.where(p > high, "high", np.where(p >= medium, "medium", "low"))


def recall_at_precision(y, score, precision=0.7) -> float:
    """Highest recall of any threshold whose precision is at least ``precision`` (0 if none)."""
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    tp = np.cumsum(y[order])
    prec = tp / np.arange(1, len(y) + 1)
    ok = prec >= precision
    return float(tp[ok].max() / y.sum()) if ok.any() else 0.0
