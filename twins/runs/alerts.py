"""Alerts of a run: Benjamini-Hochberg per rep's queue, then create, refresh and expire."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection

from crm.bulkload import batched
from crm.models import Alert, Client
from crm.signals import alerts_published
from twins.stats import api as stats

#: Alert fields a refit refreshes on a live alert.
REFRESH_FIELDS = ("priority", "score", "p_value", "evidence", "as_of", "scoring_run")


def select_alerts(candidates, columns):
    """The candidates that survive Benjamini-Hochberg within each rep's queue, one per key.

    The tests of a rep's queue are the loss tests of all their clients' pairs (``columns``
    holds every pair's ``p_value``, NaN where there was no test) plus the client-level
    candidates that carry a p-value. A pair candidate is kept when its pair's test is
    rejected; candidates without a p-value pass. Two candidates for the same (client, family,
    kind) keep the larger euros at stake.
    """
    if not candidates:
        return {}
    rep_of = dict(Client.objects.values_list("pk", "rep_id"))
    pair_clients, pair_families = columns["client"].tolist(), columns["family"].tolist()
    position = {pair: i for i, pair in enumerate(zip(pair_clients, pair_families, strict=True))}
    extras = [c for c in candidates if not c["pair"]]
    p_values = np.concatenate(
        [columns["p_value"], [np.nan if c["p_value"] is None else c["p_value"] for c in extras]]
    )
    groups = np.array(
        [rep_of.get(c) or 0 for c in pair_clients] + [rep_of.get(c["client"]) or 0 for c in extras],
        dtype=np.int64,
    )
    keep = stats.fdr_select(p_values, groups, q=settings.SCORING_FDR_Q)
    extra_at = {id(c): len(pair_clients) + j for j, c in enumerate(extras)}
    selected = {}
    for c in candidates:
        at = position[(c["client"], c["family"])] if c["pair"] else extra_at[id(c)]
        key = Alert.make_dedup_key(c["client"], c["family"], c["kind"])
        if keep[at] and (key not in selected or c["at_stake"] > selected[key]["at_stake"]):
            selected[key] = c
    return selected


def _money(euros):
    return Decimal(str(round(max(float(euros or 0.0), 0.0), 2))).quantize(Decimal("0.01"))


def write_alerts(run, selected, now):
    """Create, refresh and expire alerts from the ``selected`` candidates (by dedup key).

    Returns ``((created, updated, expired), ids of created and refreshed alerts)``.

    Live alerts (open, acting, snoozed) are refreshed in place. A dismissed alert whose
    evidence persists suppresses a new alert for ``SCORING_DISMISS_COOLDOWN_DAYS`` after the
    dismissal; once its evidence vanishes (or the cooldown ends) it is closed and no longer
    suppresses. Live alerts whose evidence vanished expire.
    """
    owned = [k for k in stats.ALERT_KINDS if k != "cross_sell" or settings.TWINS_CROSS_SELL]
    live = dict(
        Alert.objects.filter(status__in=Alert.LIVE_STATUSES, kind__in=owned).values_list(
            "dedup_key", "pk"
        )
    )
    cooldown_start = now - timedelta(days=settings.SCORING_DISMISS_COOLDOWN_DAYS)
    dismissed = Alert.objects.filter(
        status=Alert.Status.DISMISSED, closed_at__isnull=True, kind__in=owned
    )
    suppressing, closing = set(), []
    for alert in dismissed.only("pk", "dedup_key", "updated_at"):
        if alert.dedup_key in selected and alert.updated_at >= cooldown_start:
            suppressing.add(alert.dedup_key)
        else:
            closing.append(alert.pk)
    for part in batched(closing):
        Alert.objects.filter(pk__in=part).update(closed_at=now)

    created, updated = [], []
    for key, c in selected.items():
        fields = {
            "priority": _money(c["at_stake"]),
            "score": float(c["score"] or 0.0),
            "p_value": c["p_value"],
            "evidence": c["evidence"],
            "as_of": run.as_of,
            "scoring_run_id": run.pk,
        }
        pk = live.pop(key, None)
        if pk is not None:
            updated.append((pk, fields | {"updated_at": now}))
        elif key not in suppressing:
            created.append(
                Alert(
                    client_id=c["client"],
                    family_id=c["family"],
                    kind=c["kind"],
                    dedup_key=key,
                    created_at=now,
                    **fields,
                )
            )
    _refresh_alerts(updated)
    expired = 0
    for part in batched(live.values()):
        expired += Alert.objects.filter(pk__in=part).update(
            status=Alert.Status.EXPIRED, closed_at=now, updated_at=now
        )
    created = Alert.objects.bulk_create(created, batch_size=1000)
    touched = [a.pk for a in created] + [pk for pk, _ in updated]
    return (len(created), len(updated), expired), touched


def _refresh_alerts(updates):
    """Write ``(pk, fields)`` refreshes with one prepared UPDATE run for every row.

    Much faster than ``bulk_update``'s CASE expressions when thousands of alerts with sizeable
    evidence are refreshed each night.
    """
    if not updates:
        return
    meta, quote = Alert._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in (*REFRESH_FIELDS, "updated_at")]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = (
        [f.get_db_prep_save(values[f.attname], connection) for f in fields] + [pk]
        for pk, values in updates
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def recommend(alert_ids):
    """Let the recommender pick the next-best action for new and refreshed alerts."""
    if alert_ids:
        alerts_published.send(sender=Alert, alert_ids=list(alert_ids))
