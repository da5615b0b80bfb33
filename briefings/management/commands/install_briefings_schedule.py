"""``manage.py install_briefings_schedule``: the Monday brief and digest, the daily snooze
reminders, in django-celery-beat (like ``install_deals_schedule``)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from briefings.schedules import SCHEDULES


class Command(BaseCommand):
    help = (
        "Install the Monday spoken brief and e-mail digest and the daily snooze reminders in "
        "django-celery-beat (kept if they exist)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for name, (task, crontab, description) in SCHEDULES.items():
            schedule, _ = CrontabSchedule.objects.get_or_create(
                timezone=settings.TIME_ZONE, **crontab
            )
            periodic, created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, "crontab": schedule, "description": description}
            )
            verb = "installed" if created else "kept"
            self.stdout.write(f"{verb}: {name} -> {periodic.task} ({periodic.crontab})")
