"""``manage.py install_insights_schedule``: the nightly insights refit in django-celery-beat."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from insights.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Install the nightly insights refit in django-celery-beat (kept if it exists)."

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
