"""``manage.py score_deals``: refit the deal-risk model and publish the deal alerts now."""

import datetime as dt
import math

from django.core.management.base import BaseCommand, CommandError

from deals import services


class Command(BaseCommand):
    help = "Refit the deal-risk model on closed deals, score the open ones, publish alerts."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="score as of YYYY-MM-DD (default: today)")

    def handle(self, *args, as_of=None, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD).") from exc
        run = services.score_pipeline(day)
        info = run.model_info
        signal = "yes" if info.get("has_signal") else "no (base rate used)"
        brier, base = info.get("brier"), info.get("brier_base")
        if brier is None or base is None or math.isnan(brier) or math.isnan(base):
            validation = "no closed deals to validate on"
        else:
            validation = f"validation Brier {brier:.4f} vs base rate {base:.4f}"
        self.stdout.write(
            f"Deal run {run.pk} as of {run.as_of}: {run.deals_scored} open deals scored; alerts "
            f"{run.alerts_created} new, {run.alerts_updated} refreshed, {run.alerts_expired} "
            f"expired; signal: {signal}; {validation}."
        )
