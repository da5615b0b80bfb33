"""P(loss) of a deal: a regularised, calibrated logistic regression on snapshot features.

:func:`fit` learns from snapshot rows of closed deals (:func:`deals.stats.features.snapshots`)
and checks itself on the most recent fifth of them (by close date): when it is not better
calibrated than the base rate (a Brier skill below ``MIN_SKILL``), it says so
(``has_signal=False``) and predicts the base rate, so it is never worse-calibrated than the
base rate on its own validation data.
:func:`drivers` names, per deal, the features that push its P(loss) up the most.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.preprocessing import StandardScaler

from .features import CATEGORICAL, stage_p90

#: Categories seen fewer times than this in training fall into "other".
MIN_CATEGORY = 20
#: Brier skill (1 - Brier / base-rate Brier) the model must reach on its own recent validation
#: rows to be trusted; below it the data are said to hold no signal and the base rate is used.
MIN_SKILL = 0.02
#: A cycle this many times the median is "long" in the words of a driver.
LONG_CYCLE = 1.15
#: Numeric columns of the design matrix, in order; categorical one-hots follow.
NUMERIC = (
    "log_amount",
    "cycle",
    "amount_cycle",
    "stalled",
    "overdue",
    "stage_order",
    "skipped_qualification",
    "reached_late",
)


@dataclass
class Reference:
    """What the design matrix is measured against (learnt from training rows)."""

    median_amount: float
    median_cycle: float
    p90: dict
    p90_default: float
    categories: dict


@dataclass
class RiskModel:
    reference: Reference
    scaler: StandardScaler | None
    estimator: object | None
    coef: np.ndarray | None
    columns: list
    base_rate: float
    has_signal: bool
    validation: dict = field(default_factory=dict)

    def predict(self, feats: pd.DataFrame) -> np.ndarray:
        """P(loss) per feature row."""
        if not self.has_signal or self.estimator is None:
            return np.full(len(feats), self.base_rate)
        x = design(feats, self.reference)
        return self.estimator.predict_proba(self.scaler.transform(x))[:, 1]


def reference_from(feats: pd.DataFrame, durations: pd.DataFrame, cycles) -> Reference:
    """Medians, stage P90s and frequent categories of the training data."""
    cycles = np.asarray(cycles, dtype=float)
    p90 = stage_p90(durations)
    categories = {}
    for col in CATEGORICAL:
        counts = (
            feats.groupby(col)["weight"].sum() if "weight" in feats else feats[col].value_counts()
        )
        categories[col] = sorted(str(c) for c in counts.index[counts >= MIN_CATEGORY / 4] if c)
    return Reference(
        median_amount=float(np.median(feats["amount"])) or 1.0,
        median_cycle=float(np.median(cycles)) if cycles.size else 30.0,
        p90=p90,
        p90_default=float(np.quantile(durations["days"], 0.9)) if len(durations) else 30.0,
        categories=categories,
    )


def ratios(feats: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Amount / median, age / median cycle, days in stage / that stage's P90."""
    p90 = feats["stage"].map(ref.p90).fillna(ref.p90_default).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "amount_ratio": feats["amount"].to_numpy(dtype=float) / ref.median_amount,
            "cycle_ratio": feats["age"].to_numpy(dtype=float) / max(ref.median_cycle, 1.0),
            "stall_ratio": feats["days_in_stage"].to_numpy(dtype=float) / np.maximum(p90, 1.0),
            "stage_p90": p90,
        },
        index=feats.index,
    )


def design(feats: pd.DataFrame, ref: Reference) -> np.ndarray:
    r = ratios(feats, ref)
    log_amount = np.log(np.clip(r["amount_ratio"].to_numpy(), 1e-3, None))
    cycle = np.clip(r["cycle_ratio"].to_numpy(), 0, 6)
    cols = [
        log_amount,
        cycle,
        np.clip(log_amount, 0, None) * cycle,
        np.clip(r["stall_ratio"].to_numpy() - 1.0, 0, 4),
        np.clip(feats["overdue"].to_numpy(dtype=float) / max(ref.median_cycle, 1.0), 0, 4),
        feats["stage_order"].to_numpy(dtype=float),
        feats["skipped_qualification"].to_numpy(dtype=float),
        feats["reached_late"].to_numpy(dtype=float),
    ]
    for col in CATEGORICAL:
        values = feats[col].astype(str).to_numpy()
        for cat in ref.categories[col]:
            cols.append((values == cat).astype(float))
    return np.column_stack(cols)


def column_names(ref: Reference) -> list:
    names = list(NUMERIC)
    for col in CATEGORICAL:
        names += [f"{col}={cat}" for cat in ref.categories[col]]
    return names


def _fit_estimator(x, y, w, c, seed):
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    base = LogisticRegression(C=c, max_iter=2000)
    if min(np.bincount(y, minlength=2)) >= 6:
        est = CalibratedClassifierCV(base, method="sigmoid", cv=3)
    else:
        est = base
    est.fit(xs, y, sample_weight=w)
    plain = LogisticRegression(C=c, max_iter=2000).fit(xs, y, sample_weight=w)
    return scaler, est, plain.coef_[0]


def fit(
    feats: pd.DataFrame,
    y,
    durations: pd.DataFrame,
    cycles,
    close_dates,
    *,
    c: float = 0.5,
    seed: int = 0,
) -> RiskModel:
    """Fit on training snapshot rows ``feats`` (with ``weight``) and labels ``y`` (1 = lost).

    ``durations``: completed stage stints of the training period; ``cycles``: cycle days of
    the training deals; ``close_dates``: the close date of each row's deal (for the internal
    time split that decides whether the model beats the base rate).
    """
    y = np.asarray(y, dtype=int)
    w = feats["weight"].to_numpy(dtype=float) if "weight" in feats else np.ones(len(y))
    ref = reference_from(feats, durations, cycles)
    base_rate = float(np.average(y, weights=w)) if len(y) else 0.5
    model = RiskModel(ref, None, None, None, column_names(ref), base_rate, False)
    if len(np.unique(y)) < 2 or len(y) < 30:
        model.validation = {"reason": "too_few", "n": int(len(y))}
        return model
    x = design(feats, ref)
    close = pd.to_datetime(pd.Series(close_dates)).to_numpy(dtype="datetime64[ns]")
    cut = np.sort(close)[int(0.8 * (len(close) - 1))]
    early, late = close < cut, close >= cut
    validation = {"n": int(len(y))}
    if len(np.unique(y[early])) == 2 and late.sum() >= 10:
        sc, est, _ = _fit_estimator(x[early], y[early], w[early], c, seed)
        p = est.predict_proba(sc.transform(x[late]))[:, 1]
        rate = float(np.average(y[early], weights=w[early]))
        validation["brier"] = float(brier_score_loss(y[late], p, sample_weight=w[late]))
        validation["brier_base"] = float(
            brier_score_loss(y[late], np.full(late.sum(), rate), sample_weight=w[late])
        )
        validation["skill"] = 1.0 - validation["brier"] / max(validation["brier_base"], 1e-12)
        model.has_signal = validation["skill"] >= MIN_SKILL
    else:
        model.has_signal = True  # too few recent rows to check: trust the fit
        validation["reason"] = "unchecked"
    model.validation = validation
    model.scaler, model.estimator, model.coef = _fit_estimator(x, y, w, c, seed)
    return model


def drivers(model: RiskModel, feats: pd.DataFrame, top: int = 3, min_push: float = 0.15):
    """Per feature row, up to ``top`` drivers pushing P(loss) up, largest push first.

    Each driver is a dict ``{"code", ...values}``: ``amount`` (``ratio``), ``cycle``
    (``ratio``), ``amount_cycle`` (``amount_ratio``, ``cycle_ratio``), ``stalled`` (``stage``,
    ``days``, ``p90``), ``overdue`` (``days``), ``skipped_qualification``, ``stage``
    (``stage``), and one per categorical column (``value``).
    """
    if model.coef is None or not model.has_signal or len(feats) == 0:
        return [[] for _ in range(len(feats))]
    x = model.scaler.transform(design(feats, model.reference))
    contrib = x * model.coef[None, :]
    names = model.columns
    groups = {}
    for j, name in enumerate(names):
        groups.setdefault(name.split("=")[0], []).append(j)
    keys = list(groups)
    push = np.column_stack([contrib[:, groups[k]].sum(axis=1) for k in keys])
    r = ratios(feats, model.reference)
    out = []
    for i in range(len(feats)):
        row = feats.iloc[i]
        found = []
        for k in np.argsort(-push[i]):
            if push[i, k] < min_push:
                break
            d = _describe(keys[k], row, r.iloc[i])
            if d is not None and all(f["code"] != d["code"] for f in found):
                d["push"] = round(float(push[i, k]), 3)
                found.append(d)
            if len(found) == top:
                break
        out.append(found)
    return out


def _describe(key, row, r):
    """The driver ``key`` of one row in structured form, or ``None`` when the row's own value
    is not on the adverse side (e.g. "0 days overdue" only lowers a coefficient's baseline)."""
    amount, cycle = float(r["amount_ratio"]), float(r["cycle_ratio"])
    if key == "log_amount":
        return {"code": "amount", "ratio": round(amount, 2)} if amount > 1 else None
    if key == "cycle":
        return {"code": "cycle", "ratio": round(cycle, 2)} if cycle > 1 else None
    if key == "amount_cycle":
        if amount <= 1:
            return None
        if cycle < LONG_CYCLE:
            return {"code": "amount", "ratio": round(amount, 2)}
        return {
            "code": "amount_cycle",
            "amount_ratio": round(amount, 2),
            "cycle_ratio": round(cycle, 2),
        }
    if key == "stalled":
        if r["stall_ratio"] <= 1:
            return None
        return {
            "code": "stalled",
            "stage": str(row["stage"]),
            "days": int(row["days_in_stage"]),
            "p90": int(round(r["stage_p90"])),
        }
    if key == "overdue":
        return {"code": "overdue", "days": int(row["overdue"])} if row["overdue"] >= 1 else None
    if key == "skipped_qualification":
        return {"code": "skipped_qualification"} if row["skipped_qualification"] else None
    if key == "stage_order":
        return {"code": "stage", "stage": str(row["stage"])}
    if key in CATEGORICAL and row[key]:
        return {"code": key, "value": str(row[key])}
    return None
