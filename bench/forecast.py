"""Forecasts on public transaction logs: our twin against BG/NBD and Pareto/NBD.

``python manage.py bench_forecast`` and ``python -m bench twins --forecast`` call :func:`run`.

The data are the CDNOW logs that the ``lifetimes`` package ships (the benchmark-only ``bench``
extra; product code never imports it): the 2,357-customer sample and the full 23,570-customer
cohort it was drawn from, every customer's first purchase in the first quarter of 1997. The
standard split: calibration up to 1997-09-30 (39 weeks), holdout up to 1998-06-30 (39 weeks).
A transaction is a customer's purchase day (purchases on the same day are one), as in the
BG/NBD paper.

BG/NBD and Pareto/NBD are fitted with ``lifetimes`` on (repeat purchases, recency, age) in
weeks. The twin is run as a new user would run it: the calibration orders written to a CSV
without a ``kind`` column (client, family, date, units = 1 per purchase day, value) and scored
by ``twins.__main__.score_file`` -- the code path of ``python -m twins score`` -- whose
``expected_units`` over the horizon is the forecast.
"""

import os
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

CAL_END = pd.Timestamp("1997-09-30")
OBS_END = pd.Timestamp("1998-06-30")
HOLDOUT_WEEKS = 39
CURVE_WEEKS = (13, 26, 39)
#: The MAE of each model's forecasts rescaled to this share of the actual total: how well it
#: shares out a total within the 5% bias target (the MAE of count forecasts falls with their
#: level, because most customers buy nothing, so MAEs at different biases do not compare).
COMMON_LEVEL = 0.95
DATASETS = {
    "CDNOW sample (2,357 customers)": (
        "CDNOW_sample.txt",
        ["id", "master_id", "date", "cds", "usd"],
    ),
    "CDNOW full cohort (23,570 customers)": ("CDNOW_master.txt", ["id", "date", "cds", "usd"]),
}


def load(filename, names):
    """One row per (customer, purchase day) with the day's dollars."""
    from importlib import resources

    path = resources.files("lifetimes") / "datasets" / filename
    df = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype={"id": str, "date": str})
    if not df["id"].iloc[0].strip().isdigit():  # the master file has a header line
        df = df.iloc[1:]
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["usd"] = pd.to_numeric(df["usd"])
    return df.groupby(["id", "date"], as_index=False)["usd"].sum()


def summary(days):
    """Per customer: repeat purchases x, recency t_x and age T in weeks (calibration), and the
    holdout purchases by each week of ``CURVE_WEEKS``."""
    cal = days[days["date"] <= CAL_END]
    hold = days[(days["date"] > CAL_END) & (days["date"] <= OBS_END)]
    g = cal.groupby("id")["date"]
    first, last, n = g.min(), g.max(), g.size()
    s = pd.DataFrame(
        {"x": n - 1, "tx": (last - first).dt.days / 7.0, "T": (CAL_END - first).dt.days / 7.0}
    )
    week = ((hold["date"] - CAL_END).dt.days - 1) // 7 + 1
    for w in CURVE_WEEKS:
        s[f"hold_{w}"] = hold[week <= w].groupby("id").size().reindex(s.index, fill_value=0)
    return s, cal


def fit_lifetimes(s):
    """Holdout forecasts (customer x curve week) of BG/NBD and Pareto/NBD."""
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model in (("BG/NBD", BetaGeoFitter()), ("Pareto/NBD", ParetoNBDFitter())):
            model.fit(s["x"], s["tx"], s["T"])
            out[name] = np.column_stack(
                [
                    model.conditional_expected_number_of_purchases_up_to_time(
                        w, s["x"], s["tx"], s["T"]
                    ).to_numpy()
                    for w in CURVE_WEEKS
                ]
            )
    return out


def twin_forecast(cal, ids, as_of=CAL_END, kind=None):
    """The twin's expected purchases per customer (rows ``ids``) at each curve week, through
    ``python -m twins score``'s code path on a CSV without a ``kind`` column."""
    from twins.__main__ import score_file

    orders = pd.DataFrame(
        {
            "client": cal["id"],
            "family": "CD",
            "date": cal["date"].dt.strftime("%Y-%m-%d"),
            "units": 1,
            "value": cal["usd"].round(2),
        }
    )
    if kind:
        orders["kind"] = kind
    cols, kinds = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "orders.csv")
        orders.to_csv(src, index=False)
        for w in CURVE_WEEKS:
            dst = os.path.join(tmp, f"scores_{w}.csv")
            score_file(src, np.datetime64(as_of.date(), "D"), w, dst)
            res = pd.read_csv(dst, dtype={"client": str}).set_index("client")
            kinds |= set(res["kind"])
            cols.append(res["expected_units"].reindex(ids).fillna(0.0).to_numpy())
    return np.column_stack(cols), ",".join(sorted(kinds))


def metrics(pred, s):
    """Bias %, MAE, RMSE, correlation and AUC of bought-again at the holdout's end, the MAE at a
    common level (:data:`COMMON_LEVEL`), plus the cumulative predicted totals at each curve
    week."""
    from sklearn.metrics import roc_auc_score

    actual = s[f"hold_{CURVE_WEEKS[-1]}"].to_numpy(dtype=float)
    p = pred[:, -1]
    return {
        "predicted": float(p.sum()),
        "actual": float(actual.sum()),
        "bias": float(p.sum() / actual.sum() - 1.0),
        "mae": float(np.abs(p - actual).mean()),
        "mae_common": float(
            np.abs(p * (COMMON_LEVEL * actual.sum() / max(p.sum(), 1e-12)) - actual).mean()
        ),
        "rmse": float(np.sqrt(((p - actual) ** 2).mean())),
        "corr": float(np.corrcoef(p, actual)[0, 1]),
        "auc": float(roc_auc_score(actual > 0, p)),
        "curve": [float(pred[:, i].sum()) for i in range(len(CURVE_WEEKS))],
        "curve_actual": [float(s[f"hold_{w}"].sum()) for w in CURVE_WEEKS],
    }


def evaluate(filename, names):
    """Rows of the table (one per model) for one dataset, and the twin's inferred kind."""
    days = load(filename, names)
    s, cal = summary(days)
    t0 = time.perf_counter()
    preds = fit_lifetimes(s)
    t1 = time.perf_counter()
    twin, kind = twin_forecast(cal, s.index)
    t2 = time.perf_counter()
    preds["twin"] = twin
    rows = {name: metrics(p, s) for name, p in preds.items()}
    rows["BG/NBD"]["seconds"] = rows["Pareto/NBD"]["seconds"] = t1 - t0
    rows["twin"]["seconds"] = t2 - t1
    return rows, kind, len(s)


def run(out=print, datasets=None):
    """Print one table per dataset."""
    for title, (filename, names) in DATASETS.items():
        if datasets and filename not in datasets:
            continue
        rows, kind, n = evaluate(filename, names)
        act = rows["twin"]["curve_actual"]
        out(
            f"{title}: {n} customers, calibration to {CAL_END.date()} (39 weeks), holdout to "
            f"{OBS_END.date()} (39 weeks); the twin classed the file as {kind}"
        )
        out(
            f"{'model':<12}{'predicted':>10}{'actual':>8}{'bias %':>8}{'MAE':>7}{'RMSE':>7}"
            f"{'corr':>7}{'AUC':>7}{f'MAE@{COMMON_LEVEL - 1:+.0%}':>9}"
            "   cumulative at weeks 13/26/39 (actual "
            f"{'/'.join(f'{a:.0f}' for a in act)})"
        )
        for name, r in rows.items():
            out(
                f"{name:<12}{r['predicted']:>10.0f}{r['actual']:>8.0f}{100 * r['bias']:>+8.1f}"
                f"{r['mae']:>7.3f}{r['rmse']:>7.3f}{r['corr']:>7.3f}{r['auc']:>7.3f}"
                f"{r['mae_common']:>9.3f}   " + "/".join(f"{c:.0f}" for c in r["curve"])
            )
        out("")
