"""The spoken brief: pick a user's top queue items, compose the transcript, synthesise it.

``build_brief(user, as_of)`` is idempotent enough for a weekly task: each call stores a new
:class:`~briefings.models.Brief` (the page shows the latest) and keeps the last
``KEEP_BRIEFS`` of each user with their audio files.
"""

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from crm import kinds
from crm.selectors import QueueFilters, back_from_snooze_q, queue_alerts

from . import script, synth
from .models import Brief

log = logging.getLogger(__name__)

#: Items a brief says, by default.
TOP_N = 5
#: Briefs (and audio files) kept per user.
KEEP_BRIEFS = 4


def audio_dir():
    return Path(getattr(settings, "BRIEFINGS_AUDIO_DIR", Path(settings.VAR_DIR) / "briefs"))


def language_of(user):
    return "es" if (getattr(user, "language", "") or "es").startswith("es") else "en"


def item_of(alert, language, back=False):
    """A queue alert as the brief says it, from its kind's registry entry and evidence."""
    kind = kinds.get(alert.kind)
    evidence = alert.evidence or {}
    if alert.family_id:
        subject = alert.family.name
    elif kind is not None and kind.subject == kinds.Subject.OTHER:
        subject = str(evidence.get("subject_label", ""))
    else:
        subject = ""
    facts = ()
    if kind is not None:
        fields = {f.key: f for f in kind.evidence_fields}
        keys = kind.spoken or tuple(fields)
        with translation.override(language):
            facts = tuple(
                script.Fact(key, str(fields[key].label), fields[key].format, evidence[key])
                for key in keys
                if key in fields and key in evidence
            )
    return script.Item(
        client=alert.client.name or alert.client.code,
        kind_label=str(kinds.label(alert.kind, language)),
        euros=float(alert.priority or 0),
        subject=subject,
        facts=facts,
        back_from_snooze=back,
    )


def top_items(user, as_of, n=TOP_N):
    """``(alerts, back_ids, total)``: the first ``n`` alerts of the user's queue as the queue
    ranks them, which of them are back from snooze, and how many wait in all."""
    qs = queue_alerts(user, QueueFilters(), today=as_of)
    alerts = list(qs.select_related("client", "family")[:n])
    back = set(
        qs.filter(back_from_snooze_q(as_of), pk__in=[a.pk for a in alerts]).values_list(
            "pk", flat=True
        )
    )
    return alerts, back, qs.count()


def transcript_for(user, as_of, n=TOP_N):
    """``(transcript, alert ids, language)`` of the brief ``user`` would hear today."""
    language = language_of(user)
    alerts, back, total = top_items(user, as_of, n)
    items = [item_of(a, language, a.pk in back) for a in alerts]
    text = script.compose(user.first_name or user.username, items, total, language)
    return text, [a.pk for a in alerts], language


def build_brief(user, as_of=None, n=TOP_N, with_audio=True):
    """Store a new brief for ``user`` (audio when the synthesiser is there); return it."""
    as_of = as_of or timezone.localdate()
    text, ids, language = transcript_for(user, as_of, n)
    brief = Brief(user=user, as_of=as_of, language=language, transcript=text, alert_ids=ids)
    if with_audio:
        name = f"{user.pk}/{secrets.token_urlsafe(12)}.opus"
        try:
            audio = synth.synthesize(text, language, audio_dir() / name)
        except synth.Unavailable as exc:
            log.warning("brief for user %s without audio: %s", user.pk, exc)
            brief.audio_error = str(exc)[:300]
        else:
            brief.audio_name = name
            brief.audio_seconds = audio.seconds
            brief.synth_seconds = audio.synth_seconds
    else:
        brief.audio_error = "audio not requested"
    brief.save()
    _prune(user)
    return brief


def _prune(user):
    old = list(Brief.objects.filter(user=user).order_by("-created_at", "-pk")[KEEP_BRIEFS:])
    for brief in old:
        if brief.audio_name:
            (audio_dir() / brief.audio_name).unlink(missing_ok=True)
    with transaction.atomic():
        Brief.objects.filter(pk__in=[b.pk for b in old]).delete()


def latest_brief(user):
    return Brief.objects.filter(user=user).order_by("-created_at", "-pk").first()


def audio_path(brief):
    """The audio file of ``brief``, or ``None`` when it has none or it is gone."""
    if not brief.audio_name:
        return None
    path = (audio_dir() / brief.audio_name).resolve()
    if audio_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path
