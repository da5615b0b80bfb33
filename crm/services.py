"""Write-side operations shared by pages, the API, tasks and commands."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Alert, Feedback, VisitNote
from .signals import feedback_recorded

_STATUS_AFTER = {
    Feedback.Verdict.ACT: Alert.Status.ACTING,
    Feedback.Verdict.FALSE_ALARM: Alert.Status.DISMISSED,
    Feedback.Verdict.SNOOZE: Alert.Status.SNOOZED,
}


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

    A repeated ``idempotency_key`` returns the feedback already recorded. Raises
    ``ValidationError`` naming the field when the answer is incomplete.
    """
    if verdict not in Feedback.Verdict.values:
        raise ValidationError({"verdict": f"Unknown answer {verdict!r}."})
    if verdict == Feedback.Verdict.ACT and action is None:
        raise ValidationError({"action": "Choose the action you will take."})
    if action is not None and not action.applies_to(alert.kind):
        raise ValidationError({"action": f"{action} does not apply to this alert."})
    if verdict == Feedback.Verdict.SNOOZE:
        if snooze_until is None:
            raise ValidationError({"snooze_until": "Choose the date to snooze until."})
        if snooze_until <= timezone.localdate():
            raise ValidationError({"snooze_until": "The snooze date must be in the future."})
    if idempotency_key:
        existing = Feedback.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if not locked.is_live:
                raise ValidationError(
                    {"alert": f"This alert is already {locked.get_status_display().lower()}."}
                )
            feedback = Feedback.objects.create(
                alert=locked,
                user=user,
                verdict=verdict,
                action=action,
                reason=reason,
                comment=comment,
                snooze_until=snooze_until if verdict == Feedback.Verdict.SNOOZE else None,
                idempotency_key=idempotency_key or None,
            )
            locked.status = _STATUS_AFTER[verdict]
            locked.snoozed_until = feedback.snooze_until
            locked.save(update_fields=["status", "snoozed_until", "updated_at"])
            feedback_recorded.send(sender=Feedback, feedback=feedback)
    except IntegrityError:
        # A concurrent submission with the same key won the race.
        existing = Feedback.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    alert.refresh_from_db()
    return feedback


def add_visit_note(client, author, text):
    """Store a visit note written by ``author`` about ``client``."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note before saving it."})
    return VisitNote.objects.create(client=client, author=author, text=text)
