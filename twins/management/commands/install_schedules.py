"""``manage.py install_schedules``: the default django-celery-beat schedules, idempotently."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm import schedules

#: name -> (task, crontab fields, description). Times are in settings.TIME_ZONE.
DEFAULT_SCHEDULES = {
    "Nightly reward fold": (
        "recommender.tasks.fold_rewards",
        {"minute": "0", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "Fold reps' answers into the recommender's posteriors before the nightly scoring.",
    ),
    "Nightly refit and score": (
        "twins.tasks.start_scoring_run",
        {
            "minute": "30",
            "hour": "2",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        "Refit every twin on the orders up to last Sunday and publish the alerts.",
    ),
    "Resume stalled scoring runs": (
        "twins.tasks.resume_stalled_runs",
        {
            "minute": "*/5",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        },
        "Queue again the shards of a scoring run that stopped moving (a lost worker's task).",
    ),
    "Weekly outcome harvest": (
        "recommender.tasks.harvest_outcomes",
        {"minute": "0", "hour": "5", "day_of_week": "1", "day_of_month": "*", "month_of_year": "*"},
        "Check whether clients behind past alerts recovered, and reward the actions taken.",
    ),
}


class Command(BaseCommand):
    help = (
        "Install the default schedules (nightly reward fold and refit-and-score, the sweep "
        "that resumes stalled scoring runs, weekly outcome harvest) in django-celery-beat. "
        "Schedules other engines register with crm.schedules (the deals engine's daily scoring "
        "and weekly summary) are installed too. Existing schedules (possibly edited in the "
        "admin) are kept unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="restore the default task and timing"
        )

    @transaction.atomic
    def handle(self, *args, **options):
        for name, (task, crontab, description) in {
            **DEFAULT_SCHEDULES,
            **schedules.registered(),
        }.items():
            schedule, _ = CrontabSchedule.objects.get_or_create(
                timezone=settings.TIME_ZONE, **crontab
            )
            defaults = {"task": task, "crontab": schedule, "description": description}
            periodic, created = PeriodicTask.objects.get_or_create(name=name, defaults=defaults)
            if not created and options["reset"]:
                for field, value in defaults.items():
                    setattr(periodic, field, value)
                periodic.interval = periodic.solar = periodic.clocked = None
                periodic.enabled = True
                periodic.save()
            verb = "installed" if created else ("reset" if options["reset"] else "kept")
            self.stdout.write(f"{verb}: {name} -> {periodic.task} ({periodic.crontab})")
