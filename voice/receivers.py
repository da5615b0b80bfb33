"""Analyse a visit note as soon as it is saved (crm sends no signal of its own for notes, so
the engine listens to the model's ``post_save``). A failure never blocks saving the note: the
next run analyses what is pending."""

import logging

from django.db.models.signals import post_save

from crm.models import VisitNote

log = logging.getLogger(__name__)


def _note_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from .analysis import analyse_note

    try:
        analyse_note(instance)
    except Exception:  # the note is stored either way; the run retries
        log.exception("voice: analysing visit note %s failed", instance.pk)


def connect():
    post_save.connect(_note_saved, sender=VisitNote, dispatch_uid="voice.note_saved")
