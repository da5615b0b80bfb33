"""``bench_propensity``: the cross-sell propensity candidates and baselines on one time split.

Split: the test as-of date T* is the last replayed date with a full 26-week label window;
training uses the replayed dates whose label windows end by T*. Each model is validated as the
product's refit chooses (``learn.validate``: rolling origin over the last training dates, each
fitted on the dates whose label windows end by it); its threshold is the F1-best one on those
validation rows; the model is then refitted on every training date and scored on T*. SMOTE
(imbalanced-learn, a benchmark-only dependency) oversamples inside the training folds of the
grid search only.
"""

import time
from dataclasses import dataclass

import numpy as np

from recommender.propensity.stats import features as F
from recommender.propensity.stats import learn

ROWS = (
    ("a_voting", "(a) soft voting LR+kNN+tree+SVM, grid search"),
    ("a_voting_smote", "(a) same, SMOTE on the training folds"),
    ("b_hgb", "(b) gradient boosting, class weights, calibrated"),
    ("c_cooccurrence", "(c) co-occurrence rule (today's)"),
    ("d_popular", "(d) most popular family not yet bought"),
)


def fit_voting_smote(X, y, seed=learn.SEED):
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline

    pipe, grid = learn.voting_estimator(seed)
    pipe = Pipeline(
        [("scale", pipe.steps[0][1]), ("smote", SMOTE(random_state=seed)), *pipe.steps[1:]]
    )
    return learn.fit_voting(X, y, seed, pipe=pipe, grid=grid)


FIT = {
    "a_voting": learn.fit_voting,
    "a_voting_smote": fit_voting_smote,
    "b_hgb": learn.fit_hgb,
}


@dataclass
class Result:
    rows: dict  # code -> figures
    production: str
    test_as_of: str
    train_dates: list
    n_train: int
    seconds: dict
    validation_dates: list


def run(history, models=("a_voting", "a_voting_smote", "b_hgb"), end=None, log=print):
    """Run the comparison on ``history`` (its last purchase day + 1 as the end by default)."""
    end = np.datetime64(end or (history.last_day + 1), "D")
    dates = F.replay_dates(history, end)
    if len(dates) < 3:
        raise ValueError(
            f"too little history: {len(dates)} replayable as-of dates "
            "(need 3: 2 to train, 1 to test)"
        )
    test_T = dates[-1]
    train_dates = [d for d in dates if d + np.timedelta64(7 * F.HORIZON_WEEKS, "D") <= test_T]
    X, y, g, snaps = F.replay(history, train_dates)
    q = np.concatenate([history.rep[s.client] for s in snaps])
    snap = F.snapshot(history, test_T)
    y_test = F.labels(history, snap)
    q_test = history.rep[snap.client]
    # The choice's rolling-origin validation, on the training dates only (never T*).
    folds = learn.validation_folds(g, y)
    rows, seconds = {}, {}
    for code in models:
        t0 = time.perf_counter()
        val = learn.validate(FIT[code], X, y, q, folds)
        model = FIT[code](X, y)
        p = model.predict_proba(snap.X)[:, 1]
        rows[code] = learn.evaluate(y_test, p, q_test, threshold=val["threshold"]) | {
            "val_pr_auc": val["pr_auc"],
            "val_auc": val["auc"],
            "val_log_loss": val["log_loss"],
        }
        seconds[code] = round(time.perf_counter() - t0, 1)
        log(f"  {code}: {seconds[code]} s")
    score, raised = learn.cooccurrence_rule(snap)
    rows["c_cooccurrence"] = learn.evaluate(y_test, score, q_test, decision=raised)
    base_col = F.NUMERIC.index("base_rate")
    val_rows = np.logical_or.reduce([hold for _t, hold, _d in folds])
    thr = learn.best_threshold(y[val_rows], X[val_rows][:, base_col])
    rows["d_popular"] = learn.evaluate(y_test, learn.popular(snap), q_test, threshold=thr)
    # Production: the learned candidate with the lowest mean log-loss over the validation dates
    # (the same rule as the product's refit), never the test figures.
    learned = [c for c in models if c in rows]
    production = min(learned, key=lambda c: rows[c]["val_log_loss"]) if learned else ""
    val_dates = [str(train_dates[d]) for _t, _h, d in folds]
    return Result(
        rows, production, str(test_T), [str(d) for d in train_dates], len(y), seconds, val_dates
    )


def table(result: Result):
    """The comparison as plain-text lines."""
    head = (
        f"{'model':<52} {'AUC':>6} {'PR-AUC':>7} {'F1':>6} {'thr':>6} {'P@20/rep':>9} {'Brier':>6}"
        f" {'val PR-AUC':>10} {'val logloss':>11}"
    )
    out = [head, "-" * len(head)]

    def f(v, w=6, d=3):
        return f"{'-':>{w}}" if v is None else f"{v:>{w}.{d}f}"

    for code, label in ROWS:
        r = result.rows.get(code)
        if r is None:
            continue
        mark = " *" if code == result.production else ""
        out.append(
            f"{(label + mark):<52} {f(r['auc'])} {f(r['pr_auc'], 7)} {f(r['f1'])} "
            f"{f(r['threshold'], 6, 2)} {f(r['precision_at_20'], 9)} {f(r['brier'])}"
            f" {f(r.get('val_pr_auc'), 10)} {f(r.get('val_log_loss'), 11)}"
        )
    return out


def verdict(result: Result):
    """The targets: production AUC >= 0.80, precision@20 per rep >= 2x the co-occurrence rule."""
    prod = result.rows.get(result.production)
    co = result.rows["c_cooccurrence"]
    if prod is None:
        return ["no learned model ran"]
    ratio = (
        prod["precision_at_20"] / co["precision_at_20"] if co["precision_at_20"] else float("inf")
    )
    auc_ok = (prod["auc"] or 0) >= 0.80
    return [
        f"production model: {result.production} (lowest mean log-loss over the validation dates "
        f"{', '.join(result.validation_dates)})",
        f"AUC {prod['auc']:.3f} (target >= 0.80: {'met' if auc_ok else 'NOT met'}); "
        f"precision@20 per rep {prod['precision_at_20']:.3f} vs co-occurrence "
        f"{co['precision_at_20']:.3f} = {ratio:.1f}x "
        f"(target >= 2x: {'met' if ratio >= 2 else 'NOT met'})",
    ]
