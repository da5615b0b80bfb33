"""In-app notifications: who is told what, and how a notification reads.

Fed by crm's signals (:mod:`briefings.receivers`): new alerts on my clients
(``alerts_published``), my manager's comments (an answer with a comment, a visit note),
snoozes ending (:func:`notify_snoozes_ended`, daily) and failed runs (``run_failed``, to
admins). Each notification has a ``dedup_key``, so a repeated signal adds nothing.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from crm import kinds
from crm.models import Alert, User

from .models import Notification

Event = Notification.Event


def _alert_params(alert):
    return {
        "client": alert.client.name or alert.client.code,
        "kind": alert.kind,
        "euros": float(alert.priority or 0),
    }


def _alert_url(alert_id):
    return reverse("web:alert", args=[alert_id])


#: Notifications looked up and inserted per query (SQLite caps a query's parameters).
BATCH = 500


def _create(rows):
    """Store the new ones of ``rows`` (unsaved notifications); return how many were new."""
    created = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        keys = [n.dedup_key for n in batch]
        seen = set(
            Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True)
        )
        fresh = {n.dedup_key: n for n in batch if n.dedup_key not in seen}
        Notification.objects.bulk_create(fresh.values(), ignore_conflicts=True)
        created += len(fresh)
    return created


def notify_new_alerts(alert_ids):
    """Tell each rep about the open alerts among ``alert_ids`` on their clients."""
    rows = []
    alerts = Alert.objects.filter(
        pk__in=alert_ids, status=Alert.Status.OPEN, client__rep__isnull=False
    ).select_related("client")
    for alert in alerts.iterator(chunk_size=1000):
        rep_id = alert.client.rep_id
        rows.append(
            Notification(
                user_id=rep_id,
                event=Event.ALERT_ASSIGNED,
                alert=alert,
                params=_alert_params(alert),
                url=_alert_url(alert.pk),
                dedup_key=f"{rep_id}:{Event.ALERT_ASSIGNED}:{alert.pk}",
            )
        )
    return _create(rows)


def _is_manager_of(author, rep):
    if author is None or rep is None or author.pk == rep.pk:
        return False
    return rep.manager_id == author.pk or author.is_crm_admin


def notify_comment(author, client, text, ref, alert=None):
    """Tell the client's rep that their manager (or an admin) wrote ``text`` about it."""
    rep = client.rep
    if not text.strip() or not _is_manager_of(author, rep):
        return 0
    url = _alert_url(alert.pk) if alert else reverse("web:client", args=[client.pk])
    row = Notification(
        user=rep,
        event=Event.MANAGER_COMMENT,
        alert=alert,
        params={
            "client": client.name or client.code,
            "author": author.get_full_name() or author.username,
            "text": text.strip()[:160],
        },
        url=url,
        dedup_key=f"{rep.pk}:{Event.MANAGER_COMMENT}:{ref}",
    )
    return _create([row])


def notify_snoozes_ended(as_of=None):
    """Tell each rep about their alerts whose snooze ends on or before ``as_of`` (once per
    snooze)."""
    as_of = as_of or timezone.localdate()
    alerts = Alert.objects.filter(
        status=Alert.Status.SNOOZED, snoozed_until__lte=as_of, client__rep__isnull=False
    ).select_related("client")
    rows = [
        Notification(
            user_id=a.client.rep_id,
            event=Event.SNOOZE_ENDED,
            alert=a,
            params={**_alert_params(a), "until": a.snoozed_until.isoformat()},
            url=_alert_url(a.pk),
            dedup_key=f"{a.client.rep_id}:{Event.SNOOZE_ENDED}:{a.pk}:{a.snoozed_until}",
        )
        for a in alerts.iterator(chunk_size=1000)
    ]
    return _create(rows)


def notify_run_failed(engine, run_id, error):
    """Tell every active admin that a run of ``engine`` failed."""
    admins = User.objects.filter(is_active=True).filter(
        Q(role=User.Role.ADMIN) | Q(is_superuser=True)
    )
    url = reverse("web:run_status") if engine == "twins" else ""
    rows = [
        Notification(
            user=admin,
            event=Event.RUN_FAILED,
            params={"engine": str(engine), "run": run_id, "error": str(error)[:200]},
            url=url,
            dedup_key=f"{admin.pk}:{Event.RUN_FAILED}:{engine}:{run_id}",
        )
        for admin in admins
    ]
    return _create(rows)


# --- reading -----------------------------------------------------------------------------


def _euros(value):
    return f"{number_format(round(float(value or 0)), 0, force_grouping=True)} €"


def text_of(notification):
    """The notification's sentence in the active language."""
    p = notification.params or {}
    if notification.event == Event.ALERT_ASSIGNED:
        return _("New alert: %(kind)s for %(client)s, %(euros)s at stake.") % {
            "kind": kinds.label(p.get("kind", "")),
            "client": p.get("client", ""),
            "euros": _euros(p.get("euros")),
        }
    if notification.event == Event.MANAGER_COMMENT:
        return _("%(author)s commented on %(client)s: “%(text)s”") % {
            "author": p.get("author", ""),
            "client": p.get("client", ""),
            "text": p.get("text", ""),
        }
    if notification.event == Event.SNOOZE_ENDED:
        return _("Back from snooze: %(kind)s for %(client)s, %(euros)s at stake.") % {
            "kind": kinds.label(p.get("kind", "")),
            "client": p.get("client", ""),
            "euros": _euros(p.get("euros")),
        }
    if notification.event == Event.RUN_FAILED:
        return _("A %(engine)s run (number %(run)s) failed: %(error)s") % {
            "engine": p.get("engine", ""),
            "run": p.get("run", ""),
            "error": p.get("error", ""),
        }
    return notification.get_event_display()


def unread_count(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent(user, limit=100):
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def mark_all_read(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
