"""The voice run: analyse what is pending, predict missing NPS categories, and raise the
"Detractor" alerts into the shared queue.

Same lifecycle as the deals engine's run (:func:`deals.services.score_pipeline`): a
:class:`VoiceRun` row, the publication in one transaction (a failed run leaves the previous
alerts as they were), live alerts refreshed in place (deduplicated per client), alerts whose
reason is gone expired, false alarms left cooling, then ``crm.signals.alerts_published``.

A client gets an alert when it has revenue at stake and either
- its latest survey answer of the last :data:`DETRACTOR_DAYS` days is a detractor's (NPS 0-6,
  or predicted so when the score is missing) and its sales of the last 12 months are at least
  the :data:`HIGH_VALUE_QUANTILE` of the clients who bought; or
- a complaint (survey or note) of :data:`COMPLAINT_MIN_DAYS`-:data:`COMPLAINT_MAX_DAYS` days
  ago was followed by orders at most :data:`FALLING_RATIO` of the client's daily pace in the
  year before it.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crm.models import Alert, Client, OrderLine
from crm.selectors import run_as_of
from crm.signals import alerts_published

from . import alert_kinds
from .analysis import analyse_pending, predict_missing_categories
from .models import TextAnalysis, VoiceRun

DETRACTOR_DAYS = 90
HIGH_VALUE_QUANTILE = 0.75
#: Share of a detractor's yearly sales counted as at stake (an assumption, not a measurement).
DETRACTOR_AT_RISK = 0.3
COMPLAINT_MIN_DAYS = 28
COMPLAINT_MAX_DAYS = 120
FALLING_RATIO = 0.6
CENT = Decimal("0.01")


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def _revenue(as_of, days=365, end_offset=0):
    """``{client_id: net sales}`` over ``(as_of - days - end_offset, as_of - end_offset]``."""
    end = as_of - dt.timedelta(days=end_offset)
    start = end - dt.timedelta(days=days)
    return {
        row["client_id"]: float(row["total"] or 0)
        for row in OrderLine.objects.filter(date__gt=start, date__lte=end)
        .values("client_id")
        .annotate(total=Sum("net_value"))
    }


def _between(client_id, start, end):
    total = OrderLine.objects.filter(client_id=client_id, date__gt=start, date__lte=end).aggregate(
        total=Sum("net_value")
    )["total"]
    return float(total or 0)


def _history(client_id, as_of):
    rows = (
        TextAnalysis.objects.filter(client_id=client_id, survey__isnull=False, date__lte=as_of)
        .exclude(survey__nps__isnull=True)
        .order_by("date", "id")
        .values_list("date", "survey__nps")
    )
    return [[d.isoformat(), n] for d, n in rows][-12:]


def candidates(as_of) -> dict:
    """``{client_id: evidence}`` of the clients that deserve a detractor alert on ``as_of``."""
    revenue = _revenue(as_of)
    values = sorted(v for v in revenue.values() if v > 0)
    threshold = values[int(HIGH_VALUE_QUANTILE * (len(values) - 1))] if values else float("inf")
    found = {}
    # 1. high-value detractors: each client's latest answer of the window.
    recent = (
        TextAnalysis.objects.filter(
            survey__isnull=False,
            date__gt=as_of - dt.timedelta(days=DETRACTOR_DAYS),
            date__lte=as_of,
        )
        .select_related("survey")
        .order_by("client_id", "-date", "-id")
    )
    latest = {}
    for row in recent:
        latest.setdefault(row.client_id, row)
    for client_id, row in latest.items():
        if row.nps_category != "detractor":
            continue
        sales = revenue.get(client_id, 0.0)
        if sales <= 0 or sales < threshold:
            continue
        found[client_id] = {
            "triggers": ["detractor"],
            "nps": row.survey.nps,
            "nps_predicted": row.nps_predicted,
            "survey_date": row.date.isoformat(),
            "response_id": row.survey.response_id,
            "quote": row.quote,
            "quote_source": "survey",
            "quote_date": row.date.isoformat(),
            "themes": row.themes,
            "revenue_12m": round(sales, 2),
            "at_stake": round(sales * DETRACTOR_AT_RISK, 2),
            "magnitude": round(1 - (row.survey.nps if row.survey.nps is not None else 3) / 10, 2),
        }
    # 2. a complaint followed by falling orders.
    complaints = (
        TextAnalysis.objects.filter(
            is_complaint=True,
            date__gt=as_of - dt.timedelta(days=COMPLAINT_MAX_DAYS),
            date__lte=as_of - dt.timedelta(days=COMPLAINT_MIN_DAYS),
        )
        .order_by("client_id", "-date", "-id")
        .select_related("survey")
    )
    seen = set()
    for row in complaints:
        if row.client_id in seen:
            continue
        seen.add(row.client_id)
        before = _between(row.client_id, row.date - dt.timedelta(days=365), row.date)
        if before <= 0:
            continue
        days_after = (as_of - row.date).days
        after = _between(row.client_id, row.date, as_of)
        expected = before / 365 * days_after
        ratio = after / expected if expected else 1.0
        if ratio > FALLING_RATIO:
            continue
        evidence = found.setdefault(
            row.client_id,
            {
                "triggers": [],
                "quote": row.quote,
                "quote_source": "survey" if row.survey_id else "note",
                "quote_date": row.date.isoformat(),
                "themes": row.themes,
                "revenue_12m": round(revenue.get(row.client_id, 0.0), 2),
                "at_stake": 0.0,
                "magnitude": 0.0,
            },
        )
        evidence["triggers"].append("complaint_falling")
        evidence["orders_change"] = round(ratio - 1, 2)  # as the page shows it: whole %
        evidence["complaint_date"] = row.date.isoformat()
        lost = before * (1 - ratio)
        evidence["at_stake"] = round(max(evidence["at_stake"], lost), 2)
        evidence["magnitude"] = max(evidence["magnitude"], round(1 - ratio, 2))
        if not evidence.get("quote"):
            evidence["quote"] = row.quote
        for theme in row.themes:
            if theme not in evidence["themes"]:
                evidence["themes"] = [*evidence["themes"], theme]
    clients = Client.objects.select_related("rep__manager").in_bulk(list(found))
    for client_id, evidence in found.items():
        client = clients[client_id]
        rep = client.rep
        evidence["client_code"] = client.code
        evidence["rep"] = rep.get_username() if rep else ""
        manager = rep.manager if rep else None
        evidence["manager"] = (manager.get_full_name() or manager.get_username()) if manager else ""
        evidence["flag_manager"] = True
        evidence["nps_history"] = _history(client_id, as_of)
        evidence["high_value_threshold"] = round(threshold, 2) if values else None
    return found


def dedup_key(client_id):
    return Alert.make_dedup_key(client_id, None, alert_kinds.DETRACTOR)


def _cooling_keys(keys):
    since = timezone.now() - dt.timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    return set(
        Alert.objects.filter(
            dedup_key__in=keys, status=Alert.Status.DISMISSED, updated_at__gte=since
        ).values_list("dedup_key", flat=True)
    )


def run(as_of=None) -> VoiceRun:
    """Analyse, predict and publish as of ``as_of`` (default: today, or the latest order's week
    when the data ends earlier); return the run. Idempotent for a given date."""
    as_of = run_as_of(as_of)
    voice_run = VoiceRun.objects.create(as_of=as_of)
    try:
        analysed = analyse_pending()
        info = predict_missing_categories(as_of)
        found = candidates(as_of)
        with transaction.atomic():
            published = _publish(voice_run, found, analysed, info)
    except Exception as exc:
        VoiceRun.objects.filter(pk=voice_run.pk).update(
            status=VoiceRun.Status.FAILED, error=repr(exc), finished_at=timezone.now()
        )
        raise
    if published:
        alerts_published.send(sender=Alert, alert_ids=published)
    voice_run.refresh_from_db()
    return voice_run


def _publish(voice_run, found, analysed, info):
    as_of = voice_run.as_of
    keys = {dedup_key(cid): (cid, ev) for cid, ev in found.items()}
    live = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            kind__in=alert_kinds.CODES, status__in=Alert.LIVE_STATUSES
        )
    }
    cooling = _cooling_keys(set(keys) - set(live))
    created = updated = 0
    published = []
    for key, (client_id, evidence) in keys.items():
        fields = {
            "priority": _money(evidence["at_stake"]),
            "score": float(evidence.get("magnitude") or 0.0),
            "evidence": evidence,
            "as_of": as_of,
        }
        alert = live.pop(key, None)
        if alert is not None:
            for name, value in fields.items():
                setattr(alert, name, value)
            alert.save(update_fields=[*fields, "updated_at"])
            updated += 1
        elif key in cooling:
            continue
        else:
            alert = Alert.objects.create(
                client_id=client_id, kind=alert_kinds.DETRACTOR, dedup_key=key, **fields
            )
            created += 1
        published.append(alert.pk)
    expired = Alert.objects.filter(pk__in=[a.pk for a in live.values()]).update(
        status=Alert.Status.EXPIRED, closed_at=timezone.now()
    )
    VoiceRun.objects.filter(pk=voice_run.pk).update(
        status=VoiceRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        analysed=analysed,
        alerts_created=created,
        alerts_updated=updated,
        alerts_expired=expired,
        model_info=info,
    )
    return published
