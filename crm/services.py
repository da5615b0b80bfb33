"""Write-side operations shared by pages, the API, tasks and commands.

Messages are translated with gettext, so that a request in one language gets every message
in that language (the labels of statuses and verdicts are translated the same way).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Alert, Feedback, VisitNote
from .signals import feedback_recorded

#: Longest comment a rep may attach to an answer, and longest visit note (characters).
COMMENT_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 5000
#: Longest false-alarm reason (the column's length).
REASON_MAX_LENGTH = Feedback._meta.get_field("reason").max_length

_STATUS_AFTER = {
    Feedback.Verdict.ACT: Alert.Status.ACTING,
    Feedback.Verdict.FALSE_ALARM: Alert.Status.DISMISSED,
    Feedback.Verdict.SNOOZE: Alert.Status.SNOOZED,
}


class AnswerConflict(ValidationError):
    """The alert's state refuses the answer: it is closed, or already has this decision.

    A ``ValidationError`` naming the ``alert`` field, so forms show it as any other; the API
    answers it with 409.
    """


def _too_long(name, value, limit):
    if value and len(value) > limit:
        raise ValidationError(
            {
                name: _("Write at most %(limit)d characters (this has %(n)d).")
                % {"limit": limit, "n": len(value)}
            }
        )


def _validate_answer(alert, verdict, action, reason, comment, snooze_until):
    if verdict not in Feedback.Verdict.values:
        raise ValidationError({"verdict": _("Unknown answer %(verdict)r.") % {"verdict": verdict}})
    if verdict == Feedback.Verdict.ACT and action is None:
        raise ValidationError({"action": _("Choose the action you will take.")})
    if action is not None and not action.applies_to(alert.kind):
        raise ValidationError(
            {"action": _("%(action)s does not apply to this alert.") % {"action": action}}
        )
    if verdict == Feedback.Verdict.SNOOZE:
        if snooze_until is None:
            raise ValidationError({"snooze_until": _("Choose the date to snooze until.")})
        if snooze_until <= timezone.localdate():
            raise ValidationError({"snooze_until": _("The snooze date must be in the future.")})
    _too_long("reason", reason, REASON_MAX_LENGTH)
    _too_long("comment", comment, COMMENT_MAX_LENGTH)


def _refusal(alert, verdict):
    """Why ``alert`` (locked, current) cannot take ``verdict`` now, or None."""
    if not alert.is_live:
        return _("This alert is closed and takes no more answers.")
    if verdict == Feedback.Verdict.ACT and alert.status == Alert.Status.ACTING:
        return _(
            "This alert already has the answer “I will act”. To change the decision, "
            "snooze it or mark it a false alarm."
        )
    return None


def _replay(idempotency_key):
    """The answer already recorded under ``idempotency_key``, marked ``replayed``, or None."""
    if not idempotency_key:
        return None
    existing = Feedback.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        existing.replayed = True
    return existing


def answer_alert(
    alert,
    user,
    verdict,
    *,
    action=None,
    reason="",
    comment="",
    snooze_until=None,
    idempotency_key=None,
):
    """Record a rep's answer to ``alert`` and move it along its lifecycle.

    One alert, one decision: an alert in *acting* refuses another *I will act* and a closed
    alert refuses every answer (:class:`AnswerConflict`); a different answer (snooze, false
    alarm) changes the decision. The state is checked under a lock on the alert row, so
    parallel answers cannot both pass.

    A repeated ``idempotency_key`` returns the feedback already recorded, with
    ``replayed = True`` (fresh answers have ``replayed = False``). Raises
    ``ValidationError`` naming the field when the answer is incomplete or too long.
    """
    _validate_answer(alert, verdict, action, reason or "", comment or "", snooze_until)
    existing = _replay(idempotency_key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            # A parallel request with the same key may have committed while we waited.
            existing = _replay(idempotency_key)
            if existing is not None:
                return existing
            refusal = _refusal(locked, verdict)
            if refusal:
                raise AnswerConflict({"alert": refusal})
            feedback = Feedback.objects.create(
                alert=locked,
                user=user,
                verdict=verdict,
                action=action,
                reason=reason or "",
                comment=comment or "",
                snooze_until=snooze_until if verdict == Feedback.Verdict.SNOOZE else None,
                idempotency_key=idempotency_key or None,
            )
            locked.status = _STATUS_AFTER[verdict]
            locked.snoozed_until = feedback.snooze_until
            locked.save(update_fields=["status", "snoozed_until", "updated_at"])
            feedback_recorded.send(sender=Feedback, feedback=feedback)
    except IntegrityError:
        # A concurrent submission with the same key won the race.
        existing = _replay(idempotency_key)
        if existing is None:
            raise
        return existing
    feedback.replayed = False
    alert.refresh_from_db()
    return feedback


def add_visit_note(client, author, text):
    """Store a visit note written by ``author`` about ``client``."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note before saving it.")})
    _too_long("text", text, NOTE_MAX_LENGTH)
    return VisitNote.objects.create(client=client, author=author, text=text)
