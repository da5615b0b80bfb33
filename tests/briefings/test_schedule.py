"""The Monday brief and digest are scheduled in beat, once, and point at real tasks."""

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app


def test_install_briefings_schedule_is_idempotent_and_names_registered_tasks(db):
    call_command("install_briefings_schedule")
    call_command("install_briefings_schedule")
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    brief = PeriodicTask.objects.get(task="briefings.tasks.weekly_briefs")
    assert brief.crontab.day_of_week == "1"  # Monday
    assert "briefings.tasks.send_digests" in tasks.values()
    assert len([t for t in tasks.values() if t.startswith("briefings.")]) == 3
    app.loader.import_default_modules()
    for task in tasks.values():
        assert task in app.tasks
