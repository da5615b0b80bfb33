"""Why a pair scores high: the features whose values push its probability up, as structured
reasons (code + numbers) that the product puts into words.

The effect of a group of features on one pair is the drop in its predicted probability when
those features are set to the snapshot's median values (a model-agnostic, per-pair
attribution); the groups with the largest positive effects become the pair's reasons.
"""

import numpy as np

#: reason code -> the feature columns it stands for.
GROUPS = {
    "similar_clients": (
        "co_mean",
        "co_max",
        "co_lift",
        "co_lift_max",
        "co_loglift_sum",
        "start_lift_sum",
    ),
    "buys_family": ("best_recency_w", "best_freq", "best_log_euros"),
    "potential": ("log_potential", "has_potential", "wallet_share", "potential_ratio"),
    "active_client": (
        "log_euros",
        "freq",
        "recency_w",
        "trend",
        "tenure_w",
        "log_size",
        "recency_gap",
    ),
    "same_line": ("same_line", "n_lines", "n_families"),
    "campaigns": ("campaign_responses", "campaign_on_f", "campaign_weeks_f"),
    "bought_before": ("lapsed",),
    "popular": ("base_rate", "start_rate", "start_segment"),
}
MAX_REASONS = 3
#: An effect below this (probability points) is not a reason.
MIN_EFFECT = 0.005


def effects(snap, predict_fn):
    """(P, G) drop of the probability when each group is set to its median; and ``p``."""
    p = predict_fn(snap.X)
    out = np.zeros((len(snap), len(GROUPS)))
    if not len(snap):
        return out, p
    med = np.median(snap.X, axis=0)
    for j, cols in enumerate(GROUPS.values()):
        idx = [snap.names.index(c) for c in cols]
        X = snap.X.copy()
        X[:, idx] = med[idx]
        out[:, j] = p - predict_fn(X)
    return out, p


def reasons(snap, effect, potential):
    """Per pair, up to ``MAX_REASONS`` reasons ``{"code", ...numbers}``, strongest first.

    ``potential`` (P,) is the pair's stated annual potential in euros (NaN none)."""
    codes = list(GROUPS)
    col = snap.column
    g = snap.best_family
    values = {
        "similar_clients": lambda i: {
            "family": int(g[i]),
            "share": round(float(col("co_max")[i]), 3),
        },
        "buys_family": lambda i: {
            "family": int(g[i]),
            "weeks_per_year": int(col("best_freq")[i]),
            "weeks_since": int(col("best_recency_w")[i]),
        },
        "potential": lambda i: {"euros": round(float(np.nan_to_num(potential[i])), 2)},
        "active_client": lambda i: {
            "euros_year": round(float(np.expm1(col("log_euros")[i])), 2),
            "weeks_per_year": int(col("freq")[i]),
        },
        "same_line": lambda i: {"families": int(col("n_families")[i])},
        "campaigns": lambda i: {"count": int(col("campaign_responses")[i])},
        "bought_before": lambda i: {},
        "popular": lambda i: {"share": round(float(col("base_rate")[i]), 3)},
    }
    ok = {
        "similar_clients": lambda i: g[i] >= 0 and col("co_max")[i] > 0,
        "buys_family": lambda i: g[i] >= 0 and col("best_freq")[i] > 0,
        "potential": lambda i: np.nan_to_num(potential[i]) > 0,
        "campaigns": lambda i: col("campaign_responses")[i] > 0,
        "bought_before": lambda i: col("lapsed")[i] > 0,
    }
    out = []
    for i in range(len(snap)):
        order = np.argsort(-effect[i], kind="stable")
        found = []
        for j in order:
            code = codes[j]
            if effect[i, j] < MIN_EFFECT or len(found) >= MAX_REASONS:
                break
            if code in ok and not ok[code](i):
                continue
            found.append({"code": code, "effect": round(float(effect[i, j]), 4), **values[code](i)})
        out.append(found)
    return out
