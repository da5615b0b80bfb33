"""Receivers of crm's signals: how briefings hears about alerts, comments and failed runs.

Connected in :meth:`briefings.apps.BriefingsConfig.ready`; the engines never import
briefings. A receiver never lets a notification problem break the sender's work.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save

from crm import signals
from crm.models import VisitNote

from . import notifications

log = logging.getLogger(__name__)


def _safely(func, *args):
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the sender's work
            func(*args)
    except Exception:  # noqa: BLE001 - a notification must never break a run or an answer
        log.exception("briefings: notification failed")


def on_alerts_published(sender, alert_ids, **kwargs):
    _safely(notifications.notify_new_alerts, list(alert_ids))


def on_feedback_recorded(sender, feedback, **kwargs):
    if feedback.comment:
        alert = feedback.alert
        _safely(
            notifications.notify_comment,
            feedback.user,
            alert.client,
            feedback.comment,
            f"feedback:{feedback.pk}",
            alert,
        )


def on_visit_note_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _safely(
            notifications.notify_comment,
            instance.author,
            instance.client,
            instance.text,
            f"note:{instance.pk}",
        )


def on_run_failed(sender, engine, run_id, error="", **kwargs):
    _safely(notifications.notify_run_failed, engine, run_id, error)


def connect():
    signals.alerts_published.connect(on_alerts_published, dispatch_uid="briefings.alerts")
    signals.feedback_recorded.connect(on_feedback_recorded, dispatch_uid="briefings.feedback")
    signals.run_failed.connect(on_run_failed, dispatch_uid="briefings.run_failed")
    post_save.connect(on_visit_note_saved, sender=VisitNote, dispatch_uid="briefings.note")
