"""``manage.py refit_propensity``: refit the cross-sell model, score and publish its alerts."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Refit the cross-sell propensity model as of a date (default today), score every "
        "client's families not yet bought and publish the cross-sell alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default today)")
        parser.add_argument(
            "--install-schedule",
            action="store_true",
            help="only install the nightly refit in django-celery-beat (kept if it exists)",
        )

    def handle(self, *args, **options):
        if options["install_schedule"]:
            return self._install()
        from recommender.propensity import services

        as_of = options["as_of"]
        if as_of:
            try:
                as_of = dt.date.fromisoformat(as_of)
            except ValueError as exc:
                raise CommandError(f"--as-of: {as_of!r} is not a YYYY-MM-DD date") from exc
        run = services.refit_and_score(as_of)
        chosen = run.chosen
        figures = (
            f"validation AUC {chosen.get('auc'):.3f}, PR-AUC {chosen.get('pr_auc'):.3f}"
            if chosen.get("auc") is not None
            else "no model: too little signal in the data"
        )
        self.stdout.write(
            f"propensity v{run.version} ({run.kind}) as of {run.as_of}: {run.n_examples} "
            f"examples, {run.n_positives} positives; {figures}; {run.pairs_scored} pairs scored; "
            f"alerts {run.alerts_created} new, {run.alerts_updated} refreshed, "
            f"{run.alerts_expired} expired"
        )

    def _install(self):
        from django.conf import settings
        from django.db import transaction
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        from recommender.propensity.schedules import SCHEDULES

        with transaction.atomic():
            for name, (task, crontab, description) in SCHEDULES.items():
                schedule, _ = CrontabSchedule.objects.get_or_create(
                    timezone=settings.TIME_ZONE, **crontab
                )
                periodic, created = PeriodicTask.objects.get_or_create(
                    name=name,
                    defaults={"task": task, "crontab": schedule, "description": description},
                )
                verb = "installed" if created else "kept"
                self.stdout.write(f"{verb}: {name} -> {periodic.task} ({periodic.crontab})")
