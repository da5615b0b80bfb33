"""``manage.py run_voice [--as-of DATE]``: analyse pending texts and raise detractor alerts."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from voice.services import run


class Command(BaseCommand):
    help = (
        "Analyse survey comments and visit notes, predict missing NPS categories and raise "
        "Detractor alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            default=None,
            help="YYYY-MM-DD (default: today, or the week of the latest order when earlier)",
        )

    def handle(self, as_of=None, **options):
        try:
            date = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD).") from exc
        voice_run = run(date)
        self.stdout.write(
            f"Voice run {voice_run.pk} as of {voice_run.as_of}: {voice_run.analysed} texts "
            f"analysed; detractor alerts {voice_run.alerts_created} created, "
            f"{voice_run.alerts_updated} updated, {voice_run.alerts_expired} expired."
        )
