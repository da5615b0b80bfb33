"""Backtest of launch targeting over the past launches stored (``manage.py bench_launch``).

Each past launch (products launched the same day; date known or inferred from the first sale)
is hidden in turn: every client is scored with the history before the launch date, the top
k = 10 % of clients by each method are the targets, and the buyers are the clients who bought
a launched product in the next 12 weeks. Methods: the combined score, the early-adopter rules
alone, the top spenders of the last year and random clients (its expectation: the base rate).
"""

import time

from recommender.launch import selectors, stats

METHODS = ("combined", "rules", "top_spenders", "random")


def run(k_frac=0.10, seed=0, min_before_weeks=26, out=print):
    started = time.perf_counter()
    data = selectors.data()
    if data.lines.empty:
        out("No order lines: load data first (manage.py seed_demo).")
        return None
    results, launches = stats.backtest(
        data, k_frac=k_frac, min_before_weeks=min_before_weeks, seed=seed
    )
    n_clients = len(data.clients)
    if results.empty:
        out("No past launch with enough history before it and 12 weeks after it.")
        return None
    summary = stats.summarise(results, n_clients)
    k = int(results["k"].iloc[0])
    out(
        f"Launch targeting backtest: {len(launches)} past launches, {n_clients} clients, "
        f"k = {k} ({k_frac:.0%} of clients), buyers = bought within "
        f"{stats.WINDOW_WEEKS} weeks of the launch"
    )
    out("")
    out(f"{'method':<14}{'hits':>8}{'targets':>9}{'conversion':>12}{'lift':>7}{'recall':>8}")
    for method in METHODS:
        row = summary.loc[method]
        out(
            f"{method:<14}{row['hits']:>8.1f}{int(row['targets']):>9}"
            f"{row['conversion']:>11.1%}{row['lift']:>7.2f}{row['recall']:>7.1%}"
        )
    out("")
    out("Per launch, conversion of the top k:")
    table = results.pivot_table(index="launch", columns="method", values="conversion")
    base = results.groupby("launch")["base_rate"].first()
    out(f"{'launch':<12}{'buyers':>7}{'base':>7}" + "".join(f"{m:>14}" for m in METHODS))
    buyers = results.groupby("launch")["buyers"].first()
    for day in table.index:
        out(
            f"{day:<12}{int(buyers[day]):>7}{base[day]:>6.0%} "
            + "".join(f"{table.loc[day, m]:>14.0%}" for m in METHODS)
        )
    best = summary["conversion"].drop("combined").max()
    verdict = "beats" if summary.loc["combined", "conversion"] > best else "does NOT beat"
    out("")
    out(f"The combined score {verdict} every baseline at k = {k_frac:.0%}.")
    out(f"({time.perf_counter() - started:.1f} s)")
    return summary
