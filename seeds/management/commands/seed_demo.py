"""``manage.py seed_demo``: load the synthetic dental distributor."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from seeds import services


def iso_date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--end: {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic distributor (clients, catalogue, orders, potentials, "
        "campaigns, planted ground truth) and the demo users. Same --seed and --end: same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300)
        parser.add_argument("--weeks", type=int, default=156)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--end",
            type=iso_date,
            help="Last day of the history (moved back to a Sunday). Default: the Sunday before "
            "today.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the existing CRM data first."
        )
        parser.add_argument(
            "--password", help="One password for every demo user (default: random, printed)."
        )
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=0,
            help="Simulate the last N weeks of CRM life (alerts, answers, outcomes) so the "
            "recommender has learned; 0 = none. `make demo` uses 52.",
        )
        parser.add_argument(
            "--history-per-week",
            type=int,
            help="Simulated alerts a week (default: one per five clients, at least 4).",
        )

    def handle(self, *args, **opts):
        try:
            summary = services.seed_demo(
                clients=opts["clients"],
                weeks=opts["weeks"],
                seed=opts["seed"],
                end=opts["end"],
                reset=opts["reset"],
                password=opts["password"],
                progress=opts["verbosity"] > 0,
                history_weeks=opts["history_weeks"],
                history_per_week=opts["history_per_week"],
            )
        except services.SeedError as exc:
            raise CommandError(str(exc)) from exc
        if opts["verbosity"] == 0:
            return
        out = self.stdout
        out.write(
            f"Seeded {summary.clients} clients, {summary.pairs} buying pairs, "
            f"{summary.orders} orders, {summary.lines} lines, {summary.campaigns} campaigns "
            f"({opts['weeks']} weeks to {summary.end}) in {summary.seconds:.1f} s."
        )
        if summary.history:
            h = summary.history
            out.write(
                f"Simulated {h.weeks} weeks of history: {h.alerts} alerts, answers "
                f"{dict(sorted(h.answers.items()))}, {h.outcomes} outcomes judged "
                f"({h.recovered} recovered) in {summary.timings['history']:.1f} s."
            )
        out.write(f"Demo logins for {services.DEMO_URL} (shown once):")
        for username, role, password in summary.users:
            out.write(f"  {username:<8} {role:<8} {password}")
