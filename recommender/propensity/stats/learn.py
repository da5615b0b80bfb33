"""The candidate models, the two baselines, the figures, and the choice of the production model.

Candidates (all scikit-learn, explicit seeds):

- ``voting``: the reference approach, a soft-voting ensemble of logistic regression,
  k-nearest neighbours, a decision tree and an SVM, with a small grid search;
- ``hgb``: histogram gradient boosting with balanced class weights, probability-calibrated
  (isotonic, cross-validated).

Baselines, scored from the snapshot's own columns:

- ``cooccurrence``: today's rule (the mean over owned families g of P(f | g) among all
  clients, raised only where some owned g makes f 3 standard errors likelier than at large);
- ``popular``: the family's share of buyers ("most popular family not yet bought").
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from .features import HORIZON_WEEKS, STEP_WEEKS

SEED = 17
#: The reference ensemble trains on at most this many rows (the SVM and kNN scale badly).
VOTING_MAX_ROWS = 2500
#: Fewer positives than this in training: no model, the page says the data hold too little.
MIN_POSITIVES = 10
#: Below this validation AUC the chosen model is not trusted: no model, no alert.
MIN_AUC = 0.6
#: The choice validates on this many of the last replayed dates (rolling origin).
VALIDATION_DATES = 3
#: A validation date trains on the dates at least this many replay steps before it (26-week
#: label windows every 13 weeks: the windows of the 2 dates before overlap it).
GAP_DATES = -(-HORIZON_WEEKS // STEP_WEEKS)
#: Precision@k per rep queue uses this k.
QUEUE_K = 20
#: Today's rule: z of "buyers of g buy f more than clients at large", and its support.
RULE_Z = 3.0
RULE_MIN_BUYERS = 20


def voting_estimator(seed=SEED):
    """The reference ensemble (unfitted) and its small grid."""
    vote = VotingClassifier(
        [
            ("lr", LogisticRegression(max_iter=2000)),
            ("knn", KNeighborsClassifier()),
            ("tree", DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=seed)),
            ("svm", CalibratedClassifierCV(SVC(random_state=seed), ensemble=False, cv=3)),
        ],
        voting="soft",
    )
    pipe = Pipeline([("scale", StandardScaler()), ("vote", vote)])
    grid = {
        "vote__lr__C": [0.1, 1.0],
        "vote__knn__n_neighbors": [25, 75],
    }
    return pipe, grid


def fit_voting(X, y, seed=SEED, pipe=None, grid=None):
    """Grid-search the reference ensemble (3 stratified folds, PR-AUC) on a sample of rows."""
    if pipe is None:
        pipe, grid = voting_estimator(seed)
    X, y = _sample(X, y, VOTING_MAX_ROWS, seed)
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    search = GridSearchCV(pipe, grid, scoring="average_precision", cv=cv, n_jobs=1)
    with threadpool_limits(1):
        search.fit(X, y)
    return search.best_estimator_


def fit_hgb(X, y, seed=SEED):
    """Gradient boosting with balanced class weights, calibrated by isotonic regression."""
    hgb = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.06,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        class_weight="balanced",
        max_bins=63,
        random_state=seed,
    )
    model = CalibratedClassifierCV(hgb, method="isotonic", cv=3)
    # One OpenMP thread: on a busy machine, spinning threads waiting for each other cost far
    # more than they gain on these small tables.
    with threadpool_limits(1):
        model.fit(X, y)
    return model


FITTERS = {"voting": fit_voting, "hgb": fit_hgb}


def _sample(X, y, n, seed):
    if len(y) <= n:
        return X, y
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    k_pos = min(len(pos), max(n * len(pos) // len(y), min(len(pos), n // 4)))
    keep = np.r_[rng.choice(pos, k_pos, replace=False), rng.choice(neg, n - k_pos, replace=False)]
    keep.sort()
    return X[keep], y[keep]


# --- Baselines ---------------------------------------------------------------------------


def cooccurrence_rule(snap):
    """Today's co-occurrence rule on a snapshot: ``(score, raised)``.

    ``score`` is the mean over owned families g of P(f | g) (a share of similar clients, not a
    calibrated probability); ``raised`` is where the rule raises an alert: the client owns two
    or more families, the score is at least 0.5, f has 20+ buyers, and for some owned g the
    buyers of g buy f 3 binomial standard errors above clients at large.
    """
    score = snap.column("co_mean")
    co_max = snap.column("co_max")
    base = snap.column("base_rate")
    g = snap.best_family
    n_g = np.where(g >= 0, snap.n_buyers[np.maximum(g, 0)], 0)
    sd = np.sqrt(np.maximum(n_g * base * (1 - base), 1e-12))
    z = np.where(n_g > 0, (co_max - base) * n_g / sd, 0.0)
    support = snap.n_buyers[snap.family] >= RULE_MIN_BUYERS
    raised = (snap.column("n_families") >= 2) & (score >= 0.5) & (z >= RULE_Z) & support
    return score, raised


def popular(snap):
    """Most popular family not yet bought: the family's share of active buyers."""
    return snap.column("base_rate")


# --- Figures -----------------------------------------------------------------------------


def best_threshold(y, p):
    """The probability threshold that maximises F1 on ``(y, p)`` (0.5 without positives)."""
    y = np.asarray(y)
    if y.sum() == 0 or y.sum() == len(y):
        return 0.5
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + ys.sum())
    # Only cut between distinct scores.
    last = np.r_[ps[1:] != ps[:-1], True]
    i = int(np.argmax(np.where(last, f1, -1)))
    return float(ps[i])


def precision_at_k(y, score, queue, k=QUEUE_K):
    """Mean over queues (reps) of the precision of each queue's ``k`` best-scored pairs."""
    y, score, queue = np.asarray(y), np.asarray(score, dtype=float), np.asarray(queue)
    rng = np.random.default_rng(SEED)
    jitter = rng.random(len(score)) * 1e-9  # ties broken at random, not by row order
    precs = []
    for q in np.unique(queue):
        rows = np.flatnonzero(queue == q)
        top = rows[np.argsort(-(score[rows] + jitter[rows]), kind="stable")[:k]]
        if len(top):
            precs.append(y[top].mean())
    return float(np.mean(precs)) if precs else float("nan")


def evaluate(y, score, queue, threshold=None, decision=None, probability=True):
    """AUC, PR-AUC, F1 (at ``threshold``, or of the boolean ``decision``), precision@20 per
    queue and Brier score (``None`` when ``score`` is not a probability)."""
    y = np.asarray(y)
    both = 0 < y.sum() < len(y)
    pred = decision if decision is not None else score >= threshold
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "auc": float(roc_auc_score(y, score)) if both else None,
        "pr_auc": float(average_precision_score(y, score)) if both else None,
        "f1": float(f1_score(y, pred, zero_division=0)),
        "threshold": None if threshold is None else float(threshold),
        "precision_at_20": precision_at_k(y, score, queue),
        "brier": float(brier_score_loss(y, np.clip(score, 0, 1))) if probability else None,
    }


def figures(y, p, queue, threshold):
    """The figures of a probability model at ``threshold``."""
    return evaluate(y, p, queue, threshold=threshold)


# --- Choice and production fit -----------------------------------------------------------


@dataclass
class Fitted:
    """The production model: the chosen estimator, refitted on all the labelled rows."""

    kind: str  # "voting", "hgb", or "none" when the data hold too little signal
    estimator: object
    threshold: float
    names: list
    validation: dict = field(default_factory=dict)  # figures per candidate on the holdout
    base_rate: float = 0.0

    @property
    def has_signal(self):
        return self.estimator is not None


def predict(model: Fitted, X):
    """P(starts buying within the horizon) per row; the base rate when there is no model."""
    if len(X) == 0:
        return np.zeros(0)
    if model.estimator is None:
        return np.full(len(X), model.base_rate)
    with threadpool_limits(1):
        return model.estimator.predict_proba(X)[:, 1]


def validation_folds(group, y, n_dates=VALIDATION_DATES, gap=GAP_DATES):
    """The rolling-origin folds of the choice: ``[(train_mask, validation_mask, date)]``.

    Each of the last ``n_dates`` replayed dates (``group`` values) is a validation date,
    trained on the dates at least ``gap`` steps before it: with 26-week label windows replayed
    every 13 weeks, those are the dates whose windows end by the validation date, what a refit
    on that date would have had. A fold is kept when its training holds at least
    ``MIN_POSITIVES // 2`` positives and its date both classes; the oldest dates come first.
    Without any such fold, the last date against all the earlier ones (``gap`` 1)."""
    y = np.asarray(y)
    dates = np.unique(group)
    for g in (gap, 1):
        folds = []
        for d in dates[1:][-n_dates:]:
            train, hold = group <= d - g, group == d
            if y[train].sum() >= MIN_POSITIVES // 2 and 0 < y[hold].sum() < hold.sum():
                folds.append((train, hold, int(d)))
        if folds:
            return folds
    return []


def validate(fit, X, y, queue, folds, seed=SEED):
    """Fit ``fit`` on each fold's training dates and score its validation date.

    Returns the figures: ``auc``, ``pr_auc`` and ``log_loss`` the means over the validation
    dates (the choice compares the log-loss), ``per_date`` each date's, and F1 at the F1-best
    ``threshold``, precision@20 per queue and Brier on the validation rows of all the folds
    together."""
    ys, ps, qs, per_date = [], [], [], []
    for train, hold, d in folds:
        est = fit(X[train], y[train], seed)
        p = est.predict_proba(X[hold])[:, 1]
        ys.append(y[hold])
        ps.append(p)
        qs.append(queue[hold])
        per_date.append(
            {
                "date": d,
                "auc": float(roc_auc_score(y[hold], p)),
                "pr_auc": float(average_precision_score(y[hold], p)),
                "log_loss": float(log_loss(y[hold], np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
            }
        )
    y_all, p_all, q_all = np.concatenate(ys), np.concatenate(ps), np.concatenate(qs)
    t = best_threshold(y_all, p_all)
    fig = evaluate(y_all, p_all, q_all, threshold=t)
    fig["auc"] = float(np.mean([r["auc"] for r in per_date]))
    fig["pr_auc"] = float(np.mean([r["pr_auc"] for r in per_date]))
    fig["log_loss"] = float(np.mean([r["log_loss"] for r in per_date]))
    fig["per_date"] = per_date
    return fig


def choose_and_fit(X, y, group, queue, candidates=("hgb", "voting"), seed=SEED):
    """Choose the production model by rolling-origin validation and refit it on everything.

    Each candidate is validated on the last ``VALIDATION_DATES`` replayed dates (``group``),
    each trained on the dates whose label windows end by it (:func:`validation_folds`); the
    lowest mean log-loss over those dates wins (ties: the first listed): the product uses the
    probability itself (€ at stake, the threshold), so the choice scores probabilities with a
    proper scoring rule, which rewards both ranking and calibration. The F1-best threshold on
    the validation rows pooled becomes the model's threshold. The test of a benchmark is never among
    them. With fewer than ``MIN_POSITIVES`` positives (or a single date, or no fold), or when
    the chosen model's mean validation AUC is below ``MIN_AUC``, there is no model:
    ``kind="none"`` (the figures are kept).
    """
    y = np.asarray(y)
    queue = np.asarray(queue)
    base = float(y.mean()) if len(y) else 0.0
    names = []
    if len(y) == 0 or y.sum() < MIN_POSITIVES or len(np.unique(group)) < 2:
        return Fitted("none", None, 1.0, names, {}, base)
    folds = validation_folds(group, y)
    if not folds:
        return Fitted("none", None, 1.0, names, {}, base)
    validation, best, best_score = {}, None, np.inf
    for kind in candidates:
        validation[kind] = validate(FITTERS[kind], X, y, queue, folds, seed)
        score = validation[kind]["log_loss"]
        if score < best_score:
            best, best_score = kind, score
    if validation[best]["auc"] < MIN_AUC:
        return Fitted("none", None, 1.0, names, validation, base)
    est = FITTERS[best](X, y, seed)
    return Fitted(best, est, validation[best]["threshold"], names, validation, base)
