import datetime as dt
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Territory ranking: print the ranking of every territory and province stored by the "
        "latest insights refit, scored with the admin's weights (run refit_insights first); "
        "with --speed, time the refit's figures and the scoring on synthetic lines instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--speed", action="store_true")
        parser.add_argument("--clients", type=int, default=20000)
        parser.add_argument("--lines", type=int, default=5_000_000)
        parser.add_argument("--provinces", type=int, default=50)

    def handle(self, *args, **options):
        if options["speed"]:
            self.speed(options["clients"], options["lines"], options["provinces"])
            return
        from insights import territory

        for level in territory.LEVELS:
            tick = time.perf_counter()
            data = territory.ranking(level)
            took = time.perf_counter() - tick
            if not data["rows"]:
                self.stdout.write(f"No {level} figures stored: run refit_insights first.")
                continue
            days = ", ".join(str(d) for d in data["dates"])
            self.stdout.write(f"{level} as of {data['as_of']} (quarter ends {days}); {took:.2f} s")
            self.stdout.write(
                f"{'rank':>4} {'unit':<16} {'score':>5} {'tier':<15} {'rev':>4} {'cli':>4} "
                f"{'grw':>4} {'pot':>4} {'revenue 12m':>12} {'growth':>7} {'active':>6} "
                f"{'captured':>8}  trend"
            )
            for r in data["rows"]:
                self.stdout.write(
                    f"{r['rank']:>4} {r['name'][:16]:<16} {r['score']:5.1f} {r['tier']:<15} "
                    f"{_n(r['revenue_score'])} {_n(r['clients_score'])} "
                    f"{_n(r['growth_score'])} {_n(r['potential_score'])} "
                    f"{r['revenue']:12,.0f} {_p(r['growth_rate'])} {r['active_clients']:>6} "
                    f"{_p(r['share_captured'])}  " + " ".join(_n(v).strip() for v in r["trend"])
                )
            self.stdout.write("")

    def speed(self, n_clients, n, n_units):
        import numpy as np
        import pandas as pd

        from insights.stats import territory as T

        rng = np.random.default_rng(0)
        as_of = dt.date(2026, 11, 22)
        days = rng.integers(0, 1095, n)
        lines = pd.DataFrame(
            {
                "client": rng.integers(0, n_clients, n),
                "family": rng.integers(0, 20, n),
                "date": pd.Timestamp(as_of) - pd.to_timedelta(days, unit="D"),
                "value": rng.gamma(2, 50, n),
            }
        )
        unit = pd.Series([f"P{i}" for i in rng.integers(0, n_units, n_clients)])
        pot = pd.Series(
            rng.gamma(2, 500, n_clients * 4),
            index=pd.MultiIndex.from_arrays(
                [np.repeat(np.arange(n_clients), 4), np.tile(np.arange(4), n_clients)]
            ),
        )
        tick = time.perf_counter()
        figures = T.unit_figures(lines, unit, pot, T.quarter_ends(as_of))
        a = time.perf_counter() - tick
        tick = time.perf_counter()
        T.score_over_time(figures)
        b = time.perf_counter() - tick
        self.stdout.write(
            f"unit_figures: {n_clients:,} clients, {n:,} lines, {n_units} units, 4 quarter "
            f"ends: {a:.1f} s; score_over_time: {b * 1000:.0f} ms"
        )


def _n(v):
    return "   -" if v is None else f"{v:4.0f}"


def _p(v):
    return "      -" if v is None else f"{100 * v:6.1f}%"
