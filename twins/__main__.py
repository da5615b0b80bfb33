"""Offline twins, no database.

python -m twins score ORDERS.csv --as-of 2025-01-05 --horizon 8 --out OUT.csv
python -m twins bench [--quick] [--forecast]   (runs ``python -m bench twins``)
"""

import argparse
import subprocess
import sys

import numpy as np

from twins.stats.api import fdr_select, score_pairs
from twins.stats.batch import batch_from_orders
from twins.stats.fdr import DEFAULT_Q
from twins.stats.technical import fit_lognormal, purchase_gaps

REQUIRED = ("client", "family", "date", "units")
KINDS = ("commodity", "technical")
OUTPUT = (
    "client",
    "family",
    "kind",
    "expected_units",
    "p_active",
    "p5_next_week",
    "p95_next_week",
    "alert_kind",
    "alert_score",
    "euros_at_stake",
)
#: Largest magnitude a row may carry; beyond it a value is a typo and would overflow the
#: weekly sums of its whole family (1e308 turned every forecast of the family into NaN).
MAX_ABS = {"units": 1e9, "value": 1e12}
#: A family is treated as technical when its buyers purchase in fewer than this share of weeks
#: (only when the file has no ``kind`` column)...
TECHNICAL_WEEK_SHARE = 0.3
#: ...and their gaps between purchases are regular: the family's within-pair spread of log
#: gaps is below this. Replenishment of equipment is regular (log-normal sigma about 0.45 on the
#: demo); random repeat buying is not (exponential gaps have a spread of pi / sqrt(6), 1.28;
#: 0.90 on the CDNOW log at weekly resolution) and is better served by the commodity twin,
#: whose dropout model handles one-time and lapsed buyers.
TECHNICAL_MAX_GAP_SIGMA = 0.7


class InputError(ValueError):
    """A problem with the input file, naming the line and field."""


def read_orders(path):
    """Read and validate the orders CSV; return a DataFrame with typed columns."""
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file; expected a header and order lines") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    df.columns = [c.strip().lower() for c in df.columns]
    if df.empty:
        raise InputError(f"{path}: no order lines after the header")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(REQUIRED)} (and optionally value, kind)"
        )
    for col in ("client", "family"):
        df[col] = df[col].str.strip()
        _check(path, df, df[col] == "", col, "is empty")
    dates = pd.to_datetime(df["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    _check(path, df, dates.isna(), "date", "is not a date in YYYY-MM-DD form")
    df["date"] = dates.values.astype("datetime64[D]")
    for col in ("units", "value"):
        if col in df.columns:
            num = pd.to_numeric(df[col].str.strip(), errors="coerce")
            _check(path, df, num.isna() | ~np.isfinite(num.fillna(0)), col, "is not a number")
            limit = MAX_ABS[col]
            _check(path, df, num.abs() > limit, col, f"is out of range (at most {limit:g})")
            df[col] = num.astype(float)
    if "value" not in df.columns:
        df["value"] = 0.0
    if "kind" in df.columns:
        df["kind"] = df["kind"].str.strip().str.lower()
        _check(path, df, ~df["kind"].isin(KINDS), "kind", f"must be one of {', '.join(KINDS)}")
        per_family = df.groupby("family")["kind"].nunique()
        mixed = per_family[per_family > 1]
        if len(mixed):
            fam = mixed.index[0]
            bad = df["family"].eq(fam) & df["kind"].ne(df.loc[df["family"].eq(fam), "kind"].iloc[0])
            _check(path, df, bad, "kind", f"contradicts an earlier row for family {fam!r}")
    return df


def _check(path, df, bad, field, message):
    if bad.any():
        i = int(np.flatnonzero(np.asarray(bad))[0])
        value = df[field].iloc[i]
        raise InputError(f"{path}, line {i + 2}: field '{field}' {message} (got {value!r})")


def build_batch(df, as_of, n_weeks):
    """Orders -> PairBatch plus the client and family labels of each pair."""
    pairs = batch_from_orders(df, as_of, n_weeks)
    batch, fam, n_fam = pairs.batch, pairs.batch.family, len(pairs.families)
    if "kind" in df.columns:
        fam_kind = df.groupby("family")["kind"].first()
        technical = np.array([fam_kind[f] == "technical" for f in pairs.families])
    else:
        bought = batch.units > 0
        live = (
            np.arange(n_weeks)[None, :]
            >= np.where(bought.any(1), bought.argmax(1), n_weeks)[:, None]
        )
        share = np.bincount(fam, weights=bought.sum(1), minlength=n_fam) / np.maximum(
            np.bincount(fam, weights=live.sum(1), minlength=n_fam), 1
        )
        sigma_f = fit_lognormal(purchase_gaps(batch.units), fam, n_fam)[3]
        technical = (share < TECHNICAL_WEEK_SHARE) & (sigma_f < TECHNICAL_MAX_GAP_SIGMA)
    batch.technical = technical[fam]
    return batch, pairs.pair_client, pairs.pair_family


def score_file(path, as_of, horizon, out, n_weeks=156, fdr_q=DEFAULT_Q):
    """Score ``path`` and write one row per pair to ``out``; returns the number of pairs."""
    import pandas as pd

    df = read_orders(path)
    batch, clients, families = build_batch(df, as_of, n_weeks)
    scores = score_pairs(batch, horizon=horizon)
    keep = fdr_select(scores.p_value, np.zeros(len(clients), int), fdr_q)
    kind = np.where(keep, scores.alert_kind, "")
    alerted = kind != ""
    result = pd.DataFrame(
        {
            "client": clients,
            "family": families,
            "kind": np.where(batch.technical, "technical", "commodity"),
            "expected_units": scores.forecast_units.round(2),
            "p_active": scores.p_active.round(4),
            "p5_next_week": scores.band_low,
            "p95_next_week": scores.band_high,
            "alert_kind": kind,
            "alert_score": np.where(alerted, scores.alert_score, 0.0).round(4),
            "euros_at_stake": np.where(alerted, scores.at_stake, 0.0).round(2),
        },
        columns=list(OUTPUT),
    )
    result.to_csv(out, index=False)
    return len(result)


def _path_problem(orders, out):
    """Why the input cannot be read or the output cannot be written, before any work."""
    import os

    if os.path.isdir(orders):
        return f"{orders}: is a directory, not a CSV file"
    if os.path.isdir(out):
        return f"--out {out}: is a directory; give a file name"
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        return f"--out {out}: folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"--out {out}: folder {folder} is not writable"
    return None


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit code 2 (no usage dump)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None):
    parser = _Parser(prog="python -m twins", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sc = sub.add_parser("score", help="score an orders CSV without a database")
    sc.add_argument("orders", help="CSV with client, family, date, units [, value, kind]")
    sc.add_argument("--as-of", required=True, help="scoring date, YYYY-MM-DD")
    sc.add_argument("--horizon", type=int, default=8, help="forecast weeks (default 8)")
    sc.add_argument("--out", required=True, help="output CSV")
    sc.add_argument("--weeks", type=int, default=156, help="weeks of history (default 156)")
    sc.add_argument(
        "--fdr-q",
        type=float,
        default=DEFAULT_Q,
        help=f"Benjamini-Hochberg level (default {DEFAULT_Q})",
    )
    sub.add_parser(
        "bench",
        add_help=False,
        help="the twins' benchmarks (--quick, --forecast, ...): runs `python -m bench twins`",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        # The benchmarks live in the bench package, above the engines: a separate program, not
        # an import (the layers of docs/design.md).
        return subprocess.call([sys.executable, "-m", "bench", "twins", *argv[1:]])
    args = parser.parse_args(argv)
    try:
        as_of = np.datetime64(args.as_of, "D")
    except ValueError:
        parser.error(f"--as-of {args.as_of!r} is not a date in YYYY-MM-DD form")
    if args.horizon < 1 or args.weeks < 2:
        parser.error("--horizon must be >= 1 and --weeks >= 2")
    if not 0 < args.fdr_q < 1:  # also refuses nan
        parser.error(f"--fdr-q {args.fdr_q!r} must be a number between 0 and 1 (exclusive)")
    problem = _path_problem(args.orders, args.out)
    if problem:
        parser.error(problem)
    try:
        n = score_file(args.orders, as_of, args.horizon, args.out, args.weeks, args.fdr_q)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output could not be written after all
        print(f"error: {args.out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"{n} pairs scored as of {as_of} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
