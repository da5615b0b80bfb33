"""Celery tasks of briefings (thin: the logic lives in services, digest, notifications)."""

import datetime as dt

from celery import shared_task

from crm.models import User

from . import digest, notifications, services


def _date(as_of):
    return dt.date.fromisoformat(as_of) if as_of else None


@shared_task(name="briefings.tasks.build_brief")
def build_brief(user_id, as_of=None):
    """Build (and synthesise) the brief of one user; safe to retry (a new brief replaces)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return {"user": user_id, "brief": None}
    brief = services.build_brief(user, _date(as_of))
    return {"user": user_id, "brief": brief.pk, "audio": brief.has_audio}


@shared_task(name="briefings.tasks.weekly_briefs")
def weekly_briefs(as_of=None):
    """Monday: queue one brief per active rep."""
    ids = list(User.objects.filter(role=User.Role.REP, is_active=True).values_list("pk", flat=True))
    for user_id in ids:
        build_brief.delay(user_id, as_of)
    return {"queued": len(ids)}


@shared_task(name="briefings.tasks.send_digests")
def send_digests(as_of=None):
    """Monday: the weekly e-mail digest to every rep and manager who wants it."""
    notifications.notify_snoozes_ended(_date(as_of))
    return {"sent": digest.send_digests(_date(as_of))}


@shared_task(name="briefings.tasks.notify_snoozes_ended")
def notify_snoozes_ended(as_of=None):
    """Daily: a notification for each alert whose snooze ended."""
    return {"notified": notifications.notify_snoozes_ended(_date(as_of))}
