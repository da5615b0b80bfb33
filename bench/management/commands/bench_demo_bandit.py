"""``manage.py bench_demo_bandit``: does the demo's posterior find the hidden best action?"""

import time

from django.core.management.base import BaseCommand, CommandError

from bench.demo_bandit import rankings
from seeds import services


class Command(BaseCommand):
    help = (
        "Seed the demo with its simulated history for each --seeds value and print, per seed, the "
        "share of contexts (with at least --min-events folded rewards) where the hidden true best "
        "action is ranked first by the posterior, by the default priors alone and by the raw "
        "observed recovery rate. It replaces the CRM data: point CRM_VAR_DIR or DATABASE_URL at "
        "a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300)
        parser.add_argument("--weeks", type=int, default=156)
        parser.add_argument("--history-weeks", type=int, default=52)
        parser.add_argument("--seeds", default="7", help="Comma-separated seeds, e.g. 1,2,3.")
        parser.add_argument("--min-events", type=int, default=20)
        parser.add_argument("--end", default="2026-11-29", help="The demo's last Sunday.")
        parser.add_argument(
            "--detail", action="store_true", help="Also list every context of the first seed."
        )

    def handle(self, *args, **opts):
        import datetime as dt

        seeds = [int(s) for s in opts["seeds"].split(",") if s.strip()]
        end = dt.date.fromisoformat(opts["end"])
        out = self.stdout
        out.write(
            "| seed | contexts | posterior ranks the true best first | prior alone | "
            "raw observed rate | alerts | outcomes | seconds |"
        )
        out.write("|---:|---:|---:|---:|---:|---:|---:|---:|")
        totals = [0, 0, 0, 0]
        first = None
        for seed in seeds:
            tick = time.perf_counter()
            try:
                summary = services.seed_demo(
                    clients=opts["clients"],
                    weeks=opts["weeks"],
                    seed=seed,
                    end=end,
                    reset=True,
                    password="bench-" + "x" * 12,
                    history_weeks=opts["history_weeks"],
                )
            except services.SeedError as exc:
                raise CommandError(str(exc)) from exc
            found = rankings(opts["min_events"])
            first = first if first is not None else found
            n = len(found) or 1
            right = sum(r.posterior_right for r in found)
            prior = sum(r.prior_right for r in found)
            raw = sum(r.observed_best == r.true_best for r in found)
            for k, v in enumerate((len(found), right, prior, raw)):
                totals[k] += v
            h = summary.history
            out.write(
                f"| {seed} | {len(found)} | {right / n:.0%} ({right}) | {prior / n:.0%} ({prior}) "
                f"| {raw / n:.0%} ({raw}) | {h.alerts} | {h.outcomes} "
                f"| {time.perf_counter() - tick:.0f} |"
            )
        if len(seeds) > 1:
            n = totals[0] or 1
            out.write(
                f"| all | {totals[0]} | {totals[1] / n:.0%} | {totals[2] / n:.0%} "
                f"| {totals[3] / n:.0%} | | | |"
            )
        if opts["detail"] and first:
            out.write("")
            out.write("| context | rewards | true best | prior | posterior | raw rate |")
            out.write("|---|---:|---|---|---|---|")
            for r in first:
                mark = "" if r.posterior_right else " ✗"
                out.write(
                    f"| {r.context} | {r.events} | {r.true_best} | {r.prior_best} "
                    f"| {r.posterior_best}{mark} | {r.observed_best} |"
                )
