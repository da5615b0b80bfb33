"""The weekly executive summary e-mailed to each sales manager on Monday.

Per manager, over the deals of their team: the win-rate trend by month (with intervals), PQS
and SEI, the quarter's forecast against the target (``DEALS_QUARTER_TARGET`` euros, when
set) and the naive late-stage sum, the five riskiest open deals with their drivers, the
segments whose win rate fell, and what the team did with last week's deal alerts. Rendered in
the manager's language; sent through Django's mail framework.
"""

import datetime as dt

import pandas as pd
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crm import kinds
from crm.models import Alert, Feedback, User
from crm.selectors import alerts_visible_to

from . import alert_kinds, narratives, reports, selectors
from .models import Outcome
from .stats import pipeline as P

TREND_MONTHS = 6


def win_rate_trend(user, as_of, months=TREND_MONTHS):
    """Win rate of the deals closed in each of the last ``months`` calendar months."""
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    qs = selectors.opportunities_visible_to(user).filter(
        outcome__in=[Outcome.WON, Outcome.LOST], closed_date__gte=start, closed_date__lte=as_of
    )
    closed = P.closed_deals(selectors.deals_frame(qs))
    closed = closed.assign(month=closed["closed"].dt.strftime("%Y-%m"))
    rows = reports._rows(P.win_rates(closed, "month")) if len(closed) else []
    return sorted(rows, key=lambda r: r["segment"])


def alert_answers(user, since):
    """What the team did with deal alerts last week: answers by verdict, and alerts raised in
    that week still without an answer."""
    alerts = alerts_visible_to(user).filter(kind__in=alert_kinds.CODES + alert_kinds.PIPELINE_CODES)
    answers = dict(
        Feedback.objects.filter(alert__in=alerts, created_at__gte=since)
        .values_list("verdict")
        .annotate(n=Count("pk"))
    )
    unanswered = (
        alerts.filter(created_at__gte=since, status__in=Alert.LIVE_STATUSES)
        .filter(feedback__isnull=True)
        .count()
    )
    return {
        "act": answers.get(Feedback.Verdict.ACT, 0),
        "false_alarm": answers.get(Feedback.Verdict.FALSE_ALARM, 0),
        "snooze": answers.get(Feedback.Verdict.SNOOZE, 0),
        "unanswered": unanswered,
    }


def pipeline_alerts(manager, language):
    """The live pipeline-level alerts addressed to ``manager``, largest first, each with its
    label and narrative in ``language``."""
    rows = []
    for alert in Alert.objects.filter(
        recipient=manager, kind__in=alert_kinds.PIPELINE_CODES, status__in=Alert.LIVE_STATUSES
    ).order_by("-priority"):
        kind = kinds.get(alert.kind)
        rows.append(
            {
                "label": kinds.label(alert.kind, language),
                "narrative": kind.narrative(dict(alert.evidence), language) if kind else "",
                "at_stake": alert.priority,
            }
        )
    return rows


def summary_for(manager, as_of=None):
    as_of = as_of or timezone.localdate()
    figures = reports.summary(manager, as_of=as_of, top=5)
    language = manager.language or "es"
    risky = [
        {
            "deal": s.opportunity,
            "p_loss": s.p_loss,
            "at_stake": s.at_stake,
            "drivers": narratives.drivers_text(s.drivers, language),
        }
        for s in figures["risky"]
    ]
    target = getattr(settings, "DEALS_QUARTER_TARGET", None)
    since = timezone.now() - dt.timedelta(days=7)
    return {
        **figures,
        "manager": manager,
        "risky": risky,
        "trend": win_rate_trend(manager, as_of),
        "target": target,
        "answers": alert_answers(manager, since),
        "pipeline_alerts": pipeline_alerts(manager, language),
    }


def render(manager, as_of=None):
    """``(subject, text, html)`` of the summary for ``manager``, in their language."""
    context = summary_for(manager, as_of)
    with translation.override(manager.language or "es"):
        subject = render_to_string("deals/email/weekly_subject.txt", context).strip()
        text = render_to_string("deals/email/weekly.txt", context)
        html = render_to_string("deals/email/weekly.html", context)
    return subject, text, html


def send_weekly_summaries(as_of=None):
    """E-mail the summary to every active manager with an address; return how many."""
    sent = 0
    managers = User.objects.filter(role=User.Role.MANAGER, is_active=True).exclude(email="")
    for manager in managers.order_by("pk"):
        subject, text, html = render(manager, as_of)
        message = EmailMultiAlternatives(subject, text, to=[manager.email])
        message.attach_alternative(html, "text/html")
        sent += message.send()
    return sent
