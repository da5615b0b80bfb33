"""``manage.py bench_scoring``: end-to-end refit + score time through real Celery workers."""

import time

from celery import current_app as celery_app
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.workers import WorkerNotReady, WorkerProcess
from crm.models import Client, OrderLine
from twins import runs
from twins.models import ScoringRun


class Command(BaseCommand):
    help = (
        "Score the whole database through `celery -A config worker` with 1, 2, 4... worker "
        "processes and print total seconds and the share spent reading orders, fitting and "
        "writing. Needs DATABASE_URL (PostgreSQL) and REDIS_URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", default="1,2,4", help="comma-separated process counts")
        parser.add_argument("--shards", type=int, default=8, help="client shards per run")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: the last Sunday)")
        parser.add_argument(
            "--no-warmup",
            action="store_true",
            help="skip the untimed first run that creates alerts",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql" or celery_app.conf.task_always_eager:
            raise CommandError("bench_scoring needs DATABASE_URL (PostgreSQL) and REDIS_URL set.")
        try:
            counts = [int(n) for n in options["workers"].split(",")]
            as_of = runs.parse_as_of(options["as_of"])
        except ValueError as exc:
            raise CommandError(f"--workers / --as-of: {exc}") from None
        if not counts or min(counts) < 1:
            raise CommandError("--workers needs positive process counts, e.g. 1,2,4.")
        self.stdout.write(
            f"{Client.objects.count()} clients, {OrderLine.objects.count()} order lines, "
            f"{options['shards']} shards, PostgreSQL {connection.settings_dict['NAME']}."
        )
        if not options["no_warmup"]:
            run = self._measure(max(counts), options["shards"], as_of)
            self.stdout.write(f"warm-up run #{run.pk}: {run.wall:.1f} s (not in the table)")
        rows = [(n, self._measure(n, options["shards"], as_of)) for n in counts]
        self.stdout.write(self._table(rows))

    def _measure(self, processes, shards, as_of):
        try:
            worker = WorkerProcess(processes, prefix="bench").start()
        except WorkerNotReady as exc:
            raise CommandError(str(exc)) from exc
        try:
            t0 = time.perf_counter()
            run = runs.launch(as_of, shards, wait=True)
            if not run.started:
                raise CommandError(f"Run #{run.pk} not started: {run.error}")
            run.wall = time.perf_counter() - t0  # from start to results visible
        finally:
            worker.stop()
        if run.status != ScoringRun.Status.SUCCEEDED:
            raise CommandError(f"Run #{run.pk} {run.status}: {run.error}\n{worker.output()}")
        return run

    @staticmethod
    def _table(rows):
        lines = [
            f"{'workers':>7} {'pairs':>8} {'total s':>8} {'pairs/s':>8} "
            f"{'read %':>7} {'fit %':>6} {'write %':>7} {'other %':>7}"
        ]
        for n, run in rows:
            t, total = run.timings, run.wall
            busy = t["read"] + t["fit"] + t["stage"] or 1.0
            # Shard phase wall time split in the ratio of the shards' summed phase times;
            # staging the shard results counts as writing, as does the publishing transaction.
            read = t["shards_wall"] * t["read"] / busy
            fit = t["shards_wall"] * t["fit"] / busy
            write = t["shards_wall"] * t["stage"] / busy + t["write"]
            other = max(total - read - fit - write, 0.0)
            lines.append(
                f"{n:>7} {run.pairs:>8} {total:>8.1f} {run.pairs / total:>8.0f} "
                + " ".join(
                    f"{100 * x / total:>{w}.0f}"
                    for x, w in ((read, 7), (fit, 6), (write, 7), (other, 7))
                )
            )
        return "\n".join(lines)
