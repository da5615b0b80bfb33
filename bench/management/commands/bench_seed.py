"""``manage.py bench_seed``: time ``seed_demo`` on the configured database."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from seeds import services


class Command(BaseCommand):
    help = (
        "Time seed_demo (default 20000 clients x 156 weeks) on the configured database and print "
        "a table. It replaces the CRM data there: point CRM_VAR_DIR or DATABASE_URL at a "
        "scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20000)
        parser.add_argument("--weeks", type=int, default=156)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--reset", action="store_true", help="Allow replacing existing CRM data."
        )

    def handle(self, *args, **opts):
        try:
            s = services.seed_demo(
                clients=opts["clients"],
                weeks=opts["weeks"],
                seed=opts["seed"],
                reset=opts["reset"],
                password="bench-" + "x" * 12,
                progress=opts["verbosity"] > 0,
            )
        except services.SeedError as exc:
            raise CommandError(str(exc)) from exc
        rows = [
            ("database", connection.vendor),
            ("clients x weeks", f"{s.clients} x {opts['weeks']}"),
            ("pairs", f"{s.pairs}"),
            ("orders", f"{s.orders}"),
            ("order lines", f"{s.lines}"),
        ]
        rows += [(f"{phase} (s)", f"{sec:.1f}") for phase, sec in s.timings.items()]
        rows += [
            ("total (s)", f"{s.seconds:.1f}"),
            ("lines / s", f"{s.lines / s.seconds:,.0f}"),
        ]
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            self.stdout.write(f"{key:<{width}}  {value:>14}")
