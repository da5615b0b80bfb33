"""Benchmark of the deal-risk model on a time split of a planted-truth pipeline.

Train on snapshots of deals closed before the cut-off; test on snapshots (every 14 days from
the cut-off on) of deals closed after it, each deal weighted once. Compared with the base
rate, a default random forest and a logistic regression on amount and cycle length alone.
"""

import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from deals.stats import features as F
from deals.stats import risk
from seeds.deals import generate

PLAIN = ["amount", "age", "days_in_stage", "stage_order", "n_changes", "overdue"]


def split(deals, changes, cutoff):
    """Training and test feature rows with labels and per-deal weights."""
    cutoff = pd.Timestamp(cutoff)
    closed = deals["outcome"].isin(["won", "lost"])
    train_deals = deals.loc[closed & (deals["closed"] < cutoff)].reset_index(drop=True)
    test_deals = deals.loc[closed & (deals["closed"] >= cutoff)].reset_index(drop=True)
    train_changes = changes.loc[changes["date"] < cutoff]
    tr = F.features(train_deals, train_changes, F.snapshots(train_deals, end=cutoff))
    te = F.features(test_deals, changes, F.snapshots(test_deals, start=cutoff))
    return train_deals, tr, F.labels(deals, tr), te, F.labels(deals, te)


def fit_ours(train_deals, changes, tr, ytr, cutoff):
    durations = F.stage_durations(changes.loc[changes["date"] < pd.Timestamp(cutoff)], cutoff)
    cycles = (train_deals["closed"] - train_deals["created"]) / pd.Timedelta(days=1)
    close = train_deals.set_index("id")["closed"].reindex(tr["deal_id"]).to_numpy()
    return risk.fit(tr, ytr, durations, cycles, close)


def _plain(feats, columns=None):
    x = feats[PLAIN].astype(float)
    x["skipped"] = feats["skipped_qualification"].astype(float)
    x["late"] = feats["reached_late"].astype(float)
    dummies = pd.get_dummies(feats[list(F.CATEGORICAL)], dtype=float)
    x = pd.concat([x, dummies], axis=1)
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0.0)
    return x


def predictions(train_deals, changes, tr, ytr, te, cutoff, seed=0):
    """``{name: P(loss) on the test rows}`` for our model and the three baselines."""
    w = tr["weight"].to_numpy()
    ours = fit_ours(train_deals, changes, tr, ytr, cutoff)
    out = {"deal-risk model (ours)": ours.predict(te)}
    out["base rate"] = np.full(len(te), np.average(ytr, weights=w))
    xtr = _plain(tr)
    xte = _plain(te, xtr.columns)
    rf = RandomForestClassifier(random_state=seed).fit(xtr, ytr, sample_weight=w)
    out["random forest (defaults)"] = rf.predict_proba(xte)[:, 1]
    two = ["amount", "age"]
    sc = StandardScaler().fit(tr[two])
    lr = LogisticRegression().fit(sc.transform(tr[two]), ytr, sample_weight=w)
    out["logistic: amount + cycle"] = lr.predict_proba(sc.transform(te[two]))[:, 1]
    return out, ours


def scores(y, p, w):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    auc = roc_auc_score(y, p, sample_weight=w) if len(np.unique(p)) > 1 else 0.5
    return {
        "AUC": auc,
        "Brier": brier_score_loss(y, p, sample_weight=w),
        "log loss": log_loss(y, p, sample_weight=w, labels=[0, 1]),
        "accuracy": accuracy_score(y, p >= 0.5, sample_weight=w),
    }


def calibration(y, p, w, bins=10):
    """Deciles of predicted P(loss): mean predicted, observed loss rate, deals (weighted)."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        m = idx == b
        if m.any():
            rows.append(
                (b + 1, np.average(p[m], weights=w[m]), np.average(y[m], weights=w[m]), w[m].sum())
            )
    return rows


def evaluate(deals, changes, cutoff, seed=0):
    train_deals, tr, ytr, te, yte = split(deals, changes, cutoff)
    preds, model = predictions(train_deals, changes, tr, ytr, te, cutoff, seed)
    w = te["weight"].to_numpy()
    table = {name: scores(yte, p, w) for name, p in preds.items()}
    info = {
        "train_deals": int(len(train_deals)),
        "train_rows": int(len(tr)),
        "test_deals": int(te["deal_id"].nunique()),
        "test_rows": int(len(te)),
        "has_signal": model.has_signal,
    }
    return table, calibration(yte, preds["deal-risk model (ours)"], w), info


def _print_table(title, table, out):
    out(title)
    out(f"  {'model':<26} {'AUC':>6} {'Brier':>7} {'log loss':>9} {'accuracy':>9}")
    for name, s in table.items():
        out(
            f"  {name:<26} {s['AUC']:6.3f} {s['Brier']:7.4f} {s['log loss']:9.4f} "
            f"{s['accuracy']:9.3f}"
        )


def run(*, deals_n=4000, seed=7, end="2026-11-29", cutoff_days=180, out=print):
    started = time.perf_counter()
    end = pd.Timestamp(end)
    cutoff = end - pd.Timedelta(days=cutoff_days)
    deals, changes, _ = generate(np.random.default_rng(seed), deals_n, end=end)
    table, calib, info = evaluate(deals, changes, cutoff, seed)
    out(
        f"Planted-truth pipeline: {deals_n} deals to {end:%Y-%m-%d}, seed {seed}; cut-off "
        f"{cutoff:%Y-%m-%d}. Train {info['train_deals']} deals ({info['train_rows']} "
        f"snapshots); test {info['test_deals']} deals ({info['test_rows']} snapshots, "
        "each deal weighted once)."
    )
    _print_table("Held-out deals (closed after the cut-off):", table, out)
    out("Calibration of the deal-risk model (deciles of predicted P(loss)):")
    out(f"  {'decile':>6} {'predicted':>10} {'observed':>9} {'deals':>7}")
    for b, pred, obs, n in calib:
        out(f"  {b:>6} {pred:10.3f} {obs:9.3f} {n:7.1f}")

    # The same on data with no signal: outcomes shuffled among deals.
    rng = np.random.default_rng(seed + 1)
    null = deals.copy()
    closed = null["outcome"].isin(["won", "lost"]).to_numpy()
    null.loc[closed, "outcome"] = rng.permutation(null.loc[closed, "outcome"].to_numpy())
    null_table, _, null_info = evaluate(null, changes, cutoff, seed)
    _print_table(
        "No-signal control (outcomes shuffled among closed deals; model says has_signal="
        f"{null_info['has_signal']}):",
        {k: v for k, v in null_table.items() if k in ("deal-risk model (ours)", "base rate")},
        out,
    )
    out(f"({time.perf_counter() - started:.1f} s)")
    return table, null_table, info, null_info
