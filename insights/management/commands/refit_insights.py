"""``manage.py refit_insights [--as-of YYYY-MM-DD]``: segment clients and score churn risk."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from insights import services


class Command(BaseCommand):
    help = "Refit client segments and churn-risk tiers as of a date and publish them."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {options['as_of']}") from exc
        run = services.refit(as_of)
        seg = run.segmentation
        self.stdout.write(
            f"insights run {run.pk} as of {run.as_of}: {run.status}, {run.clients} clients, "
            f"k={seg.get('k')}, alerts +{run.alerts_created} ~{run.alerts_updated} "
            f"-{run.alerts_expired} merged {run.alerts_merged}; "
            f"model has signal: {run.model_info.get('has_signal')}; timings {run.timings}"
        )
