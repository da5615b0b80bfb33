"""The weekly e-mail digest: per rep (new alerts, alerts waiting more than a week, snoozes
ending this week or already back) and per manager (team coverage, alerts nobody answered).

Rendered in the user's language, plain text and HTML, with absolute links (``SITE_URL``);
sent through Django's mail framework (console by default, SMTP when ``EMAIL_HOST`` is set).
Users who switched the digest off in their profile (:class:`DigestPreference`) get nothing.
"""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from crm import kinds
from crm.models import Alert, User
from crm.selectors import (
    COVERAGE_DAYS,
    QueueFilters,
    alerts_visible_to,
    queue_alerts,
    team_queues,
    unanswered_alerts,
)

from .models import DigestPreference

#: Alerts listed per section, at most (the section says how many there are in all).
LIMIT = 10


def site_url(path=""):
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def wants_digest(user):
    pref = DigestPreference.objects.filter(user=user).first()
    return pref is None or pref.weekly_digest


def set_digest(user, enabled):
    DigestPreference.objects.update_or_create(user=user, defaults={"weekly_digest": enabled})


def _rows(alerts, language):
    return [
        {
            "alert": a,
            "client": a.client.name or a.client.code,
            "kind": kinds.label(a.kind, language),
            "subject": a.family.name if a.family_id else "",
            "euros": a.priority,
            "url": site_url(reverse("web:alert", args=[a.pk])),
            "until": a.snoozed_until,
        }
        for a in alerts
    ]


def _section(qs, language):
    return {
        "total": qs.count(),
        "rows": _rows(qs.select_related("client", "family")[:LIMIT], language),
    }


def rep_digest(user, as_of=None, now=None):
    """What the rep's digest says (as of ``as_of``; ``now`` dates "new" and "waiting")."""
    as_of = as_of or timezone.localdate()
    now = now or timezone.now()
    language = user.language or "es"
    week_ago = now - dt.timedelta(days=COVERAGE_DAYS)
    todo = queue_alerts(user, QueueFilters(), today=as_of)
    new = todo.filter(created_at__gte=week_ago)
    waiting = todo.filter(created_at__lt=week_ago).exclude(
        status=Alert.Status.SNOOZED  # said under "snoozes" instead
    )
    snoozes = (
        alerts_visible_to(user)
        .filter(status=Alert.Status.SNOOZED, snoozed_until__lte=as_of + dt.timedelta(days=6))
        .order_by("snoozed_until", "-priority")
    )
    return {
        "user": user,
        "as_of": as_of,
        "new": _section(new, language),
        "waiting": _section(waiting, language),
        "snoozes": _section(snoozes, language),
        "queue_url": site_url(reverse("web:queue")),
        "profile_url": site_url(reverse("briefings:profile")),
    }


def manager_digest(user, as_of=None, now=None):
    """What the manager's digest says: coverage per rep, alerts nobody answered."""
    as_of = as_of or timezone.localdate()
    now = now or timezone.now()
    language = user.language or "es"
    return {
        "user": user,
        "as_of": as_of,
        "team": team_queues(user, today=as_of),
        "unanswered": _section(unanswered_alerts(user, now=now), language),
        "coverage_days": COVERAGE_DAYS,
        "team_url": site_url(reverse("web:manager")),
        "queue_url": site_url(reverse("web:queue")),
        "profile_url": site_url(reverse("briefings:profile")),
    }


def render(user, as_of=None, now=None):
    """``(subject, text, html)`` of the user's digest in their language, or ``None`` for a
    user without one (an admin)."""
    if user.is_manager:
        context, name = manager_digest(user, as_of, now), "manager"
    elif user.is_rep:
        context, name = rep_digest(user, as_of, now), "rep"
    else:
        return None
    with translation.override(user.language or "es"):
        subject = render_to_string("briefings/email/subject.txt", {**context, "kind": name})
        text = render_to_string(f"briefings/email/{name}.txt", context)
        html = render_to_string(f"briefings/email/{name}.html", context)
    return " ".join(subject.split()), text, html


def send_digest(user, as_of=None, now=None):
    """E-mail the digest to ``user`` unless they opted out; return 1 if sent."""
    if not user.email or not user.is_active or not wants_digest(user):
        return 0
    rendered = render(user, as_of, now)
    if rendered is None:
        return 0
    subject, text, html = rendered
    message = EmailMultiAlternatives(subject, text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message.send()


def send_digests(as_of=None, now=None):
    """E-mail every active rep and manager their digest; return how many were sent."""
    users = User.objects.filter(
        is_active=True, role__in=[User.Role.REP, User.Role.MANAGER]
    ).exclude(email="")
    return sum(send_digest(u, as_of, now) for u in users.order_by("pk"))
