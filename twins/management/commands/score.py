"""``manage.py score``: refit every twin from the database and publish the alerts."""

from celery import current_app as celery_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm import selectors as crm_selectors
from twins import runs
from twins.models import ScoringRun


class Command(BaseCommand):
    help = (
        "Score every (client, family) pair from the database as of a date and publish twins "
        "and alerts in one transaction. Runs in-process without REDIS_URL; with it, the shards "
        "go to the Celery workers (start `celery -A config worker`) unless --inline is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            help="YYYY-MM-DD (default: the last Sunday on or before today, or the Sunday of the "
            "latest order's week when the data ends earlier)",
        )
        parser.add_argument(
            "--shards", type=int, help=f"client shards (default {settings.SCORING_SHARDS})"
        )
        parser.add_argument("--horizon", type=int, help="forecast horizon in weeks (default 8)")
        parser.add_argument("--inline", action="store_true", help="score in this process")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, **options):
        try:
            as_of = runs.parse_as_of(options["as_of"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for name in ("shards", "horizon"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name} must be at least 1, not {options[name]}.")
        if as_of is None:
            as_of = self._default_as_of()
        inline = options["inline"] or celery_app.conf.task_always_eager
        disable = options["no_progress"] or options["verbosity"] == 0
        started = {}  # the run once started, and its progress bar

        def progress(run, done):
            if not started:
                desc = f"run #{run.pk} shards"
                started.update(
                    run=run, bar=tqdm(total=run.shards_total, desc=desc, disable=disable)
                )
            started["bar"].update(done - started["bar"].n)

        try:
            run = runs.launch(
                as_of,
                options["shards"],
                options["horizon"],
                inline=inline,
                wait=True,
                progress=progress,
            )
        except Exception as exc:
            if not started:
                raise
            raise CommandError(f"Run #{started['run'].pk} failed: {exc!r}") from exc
        finally:
            if started:
                started["bar"].close()
        if not run.started:
            raise CommandError(f"Run #{run.pk} not started: {run.error}")
        if run.status != ScoringRun.Status.SUCCEEDED:
            raise CommandError(f"Run #{run.pk} {run.get_status_display().lower()}: {run.error}")
        t = run.timings
        self.stdout.write(
            self.style.SUCCESS(
                f"Run #{run.pk} as of {run.as_of}: {run.pairs} pairs, "
                f"{run.alerts_created} alerts created, {run.alerts_updated} updated, "
                f"{run.alerts_expired} expired in {t.get('total', 0):.1f}s "
                f"(read {t.get('read', 0):.1f}s, fit {t.get('fit', 0):.1f}s, "
                f"write {t.get('write', 0):.1f}s)."
            )
        )

        self._warn_if_stale(run.as_of)

    def _default_as_of(self):
        """The calendar's last Sunday, or the week of the latest order when the data ends
        earlier; says which on the console."""
        calendar = runs.default_as_of()
        as_of = crm_selectors.data_as_of(calendar)
        if as_of < calendar:
            latest = crm_selectors.latest_order_date()
            self.stdout.write(
                f"As of {as_of}: the week of the latest order ({latest}), since the data ends "
                f"before the calendar's last Sunday ({calendar}). --as-of chooses another date."
            )
        return as_of

    def _warn_if_stale(self, as_of):
        check = crm_selectors.check_as_of(as_of)
        if check is not None and check.stale:
            self.stdout.write(
                self.style.WARNING(
                    f"Warning: as of {as_of} is {check.weeks_after} weeks after the latest order "
                    f"({check.latest}): every pair may look silent."
                )
            )
