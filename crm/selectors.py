"""Read-side queries, with the visibility rules every page and endpoint shares."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, Exists, Max, Min, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from .models import Alert, Client, Feedback, Order, OrderLine, ProductFamily, User, VisitNote

#: Value of the status filter that shows what still needs an answer (the default).
TODO = "todo"
#: Value of the status filter that shows every status.
ANY = "all"
#: Days after which a live alert nobody answered counts against coverage.
COVERAGE_DAYS = 7
#: A scoring run dated more than this many weeks after the latest order is warned about.
STALE_AS_OF_WEEKS = 8


def _client_q(user, prefix=""):
    """The visibility rule as a ``Q`` on clients (``prefix`` reaches them from another model)."""
    if user.is_superuser or user.role == User.Role.ADMIN:
        return Q()
    if user.role == User.Role.MANAGER:
        return Q(**{f"{prefix}rep__manager": user}) | Q(**{f"{prefix}rep": user})
    return Q(**{f"{prefix}rep": user})


def clients_visible_to(user):
    """A rep sees their clients; a manager their team's; an admin everyone's."""
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.filter(_client_q(user))


def _alert_q(user):
    """Alerts on the clients ``user`` sees, and those about no client addressed to them."""
    q = _client_q(user, "client__")
    return q if not q else q | Q(recipient=user)


def alerts_visible_to(user):
    """Alerts on clients visible to ``user`` and alerts addressed to them (any status); an
    admin sees every alert, a pipeline-level one included."""
    if not user.is_authenticated:
        return Alert.objects.none()
    return Alert.objects.filter(_alert_q(user))


def visible_alert(user, pk):
    """The alert ``pk`` if ``user`` may see it; ``Http404`` otherwise, whether or not it exists."""
    alert = (
        alerts_visible_to(user)
        .select_related("client", "client__rep", "family", "recipient")
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise Http404("No such alert.")
    return alert


def visible_client(user, pk):
    """The client ``pk`` if ``user`` may see it; ``Http404`` otherwise."""
    client = clients_visible_to(user).select_related("rep", "territory").filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    return client


def team_members(user):
    """The reps whose queues ``user`` may look at (themselves for a rep)."""
    if user.is_superuser or user.role == User.Role.ADMIN:
        return User.objects.filter(role=User.Role.REP).order_by("username")
    if user.role == User.Role.MANAGER:
        return User.objects.filter(Q(manager=user) | Q(pk=user.pk)).order_by("username")
    return User.objects.filter(pk=user.pk)


# --- The queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What the rep asked the queue for; empty strings mean "no filter"."""

    kind: str = ""
    family: int | None = None
    province: str = ""
    status: str = TODO
    q: str = ""
    rep: int | None = None


def _status_q(status, today):
    if status == TODO:
        # Spelled to match the partial indexes ``alert_todo_rank`` and ``alert_todo_client``.
        todo = Q(status__in=[Alert.Status.OPEN, Alert.Status.SNOOZED])
        return todo & (Q(status=Alert.Status.OPEN) | Q(snoozed_until__lte=today))
    if status == ANY:
        return Q()
    return Q(status=status)


def queue_alerts(user, filters, *, today=None, with_kind=True):
    """Alerts of the queue of ``user`` matching ``filters``, the largest euros at stake first.

    ``with_kind=False`` leaves the kind filter out (the per-kind counts need it that way).
    """
    today = today or timezone.localdate()
    qs = alerts_visible_to(user).filter(_status_q(filters.status, today))
    if with_kind and filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.family:
        qs = qs.filter(family_id=filters.family)
    if filters.province:
        qs = qs.filter(client__province=filters.province)
    if filters.rep:
        qs = qs.filter(Q(client__rep_id=filters.rep) | Q(recipient_id=filters.rep))
    if filters.q:
        qs = qs.filter(Q(client__name__icontains=filters.q) | Q(client__code__icontains=filters.q))
    # An alert back from snooze (still "snoozed", its date passed) comes first, marked.
    back = Case(When(back_from_snooze_q(today), then=Value(0)), default=Value(1))
    return qs.order_by(back, "-priority", "-created_at", "pk")


def back_from_snooze_q(today):
    """Alerts whose snooze ended on or before ``today`` and nobody answered again."""
    return Q(status=Alert.Status.SNOOZED, snoozed_until__lte=today)


#: ``?scope=all`` shows a rep's whole queue instead of this week's.
SCOPE_ALL = "all"


def this_week(user, alerts, total, scope=None):
    """A rep's "this week": the top ``user.weekly_capacity`` of ``alerts`` (the queue already
    filtered and ordered by euros at stake; FDR was applied when the alerts were published).

    Returns None for managers and admins, for ``scope == SCOPE_ALL``, and when the queue holds
    no more than the capacity (nothing is held back); else ``{"n", "capacity", "total",
    "euros"}`` with ``n`` the alerts shown and ``euros`` their euros at stake.
    """
    capacity = getattr(user, "weekly_capacity", 0) or 0
    if not user.is_rep or scope == SCOPE_ALL or capacity <= 0:
        return None
    # Queried whatever the queue's size, so a rep's page makes as many queries with 3 alerts
    # as with 3,000.
    euros = sum(alerts.values_list("priority", flat=True)[:capacity], 0)
    if total <= capacity:
        return None
    return {"n": capacity, "capacity": capacity, "total": total, "euros": euros}


def queue_counts(user, filters, *, today=None):
    """``{kind: (count, euros)}`` over the queue with every filter but the kind applied."""
    rows = (
        queue_alerts(user, filters, today=today, with_kind=False)
        .order_by()
        .values("kind")
        .annotate(n=Count("*"), euros=Sum("priority"))  # "*": index-only on PostgreSQL
    )
    return {row["kind"]: (row["n"], row["euros"] or 0) for row in rows}


def queue_page_alerts(queryset):
    """The columns a queue row shows, with client and family in the same query."""
    return queryset.select_related("client", "family", "recipient").only(
        "pk",
        "kind",
        "status",
        "priority",
        "score",
        "created_at",
        "snoozed_until",
        "client__id",
        "client__code",
        "client__name",
        "client__province",
        "family__id",
        "family__name",
        "family__kind",
        "recipient__id",
        "recipient__username",
        "recipient__first_name",
        "recipient__last_name",
    )


def provinces_visible_to(user):
    """Sorted provinces of the clients ``user`` sees (cached for five minutes)."""
    key = f"crm:provinces:{user.pk}:{user.role}"
    provinces = cache.get(key)
    if provinces is None:
        provinces = sorted(
            p
            for p in clients_visible_to(user)
            .exclude(province="")
            .order_by()
            .values_list("province", flat=True)
            .distinct()
        )
        cache.set(key, provinces, 300)
    return provinces


def families():
    return list(ProductFamily.objects.only("id", "name", "kind").order_by("name"))


# --- Alert detail and client page --------------------------------------------------------


def alert_history(alert):
    return list(alert.feedback.select_related("user", "action").order_by("-created_at"))


def client_alerts(client):
    """``(live, past)`` alerts of ``client``, each with its family."""
    alerts = list(client.alerts.select_related("family").order_by("-priority", "-created_at"))
    live = [a for a in alerts if a.is_live]
    past = sorted((a for a in alerts if not a.is_live), key=lambda a: a.created_at, reverse=True)
    return live, past[:20]


def recent_orders(client, limit=10):
    """The client's latest orders, each with ``total`` (net euros) and ``n_lines``."""
    return list(
        Order.objects.filter(client=client)
        .annotate(total=Sum("lines__net_value"), n_lines=Count("lines"))
        .order_by("-date", "-invoice_number")[:limit]
    )


def visit_notes(client, limit=50):
    return list(VisitNote.objects.filter(client=client).select_related("author")[:limit])


# --- Manager view ------------------------------------------------------------------------


def team_queues(user, *, today=None):
    """One row per team member: live alerts, euros at stake, answers in the last 7 days."""
    today = today or timezone.localdate()
    week_ago = timezone.now() - timedelta(days=COVERAGE_DAYS)
    members = list(team_members(user))
    live = (
        Alert.objects.filter(
            Q(client__rep__in=members) | Q(client__isnull=True, recipient__in=members),
            status__in=Alert.LIVE_STATUSES,
        )
        .annotate(member=Coalesce("client__rep", "recipient"))
        .order_by()
        .values("member")
        .annotate(
            todo=Count("pk", filter=_status_q(TODO, today)),
            euros=Sum("priority", filter=_status_q(TODO, today)),
            oldest=Min("created_at", filter=_status_q(TODO, today)),
        )
    )
    live = {row["member"]: row for row in live}
    answered = (
        Feedback.objects.filter(user__in=members, created_at__gte=week_ago)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
    )
    answered = {row["user"]: row["n"] for row in answered}
    rows = []
    for member in members:
        stats = live.get(member.pk, {})
        rows.append(
            {
                "rep": member,
                "todo": stats.get("todo", 0),
                "euros": stats.get("euros") or 0,
                "oldest": stats.get("oldest"),
                "answered_7d": answered.get(member.pk, 0),
            }
        )
    rows = [r for r in rows if r["rep"].is_rep or r["todo"] or r["answered_7d"]]
    return sorted(rows, key=lambda r: r["euros"], reverse=True)


def unanswered_alerts(user, *, days=COVERAGE_DAYS, now=None):
    """Live alerts older than ``days`` that nobody has answered, the largest first."""
    now = now or timezone.now()
    answered = Feedback.objects.filter(alert=OuterRef("pk"))
    return (
        alerts_visible_to(user)
        .filter(status__in=Alert.LIVE_STATUSES, created_at__lt=now - timedelta(days=days))
        .exclude(Exists(answered))
        .select_related("client", "client__rep", "family", "recipient")
        .order_by("-priority", "created_at")
    )


# -- the data's own dates, for scoring ------------------------------------------------------


def latest_order_date():
    """The date of the latest order line in the database (credit notes included), or None."""
    return OrderLine.objects.aggregate(latest=Max("date"))["latest"]


def data_as_of(calendar_as_of):
    """The as-of date a scoring run defaults to: ``calendar_as_of`` (the last Sunday of the
    calendar), or the Sunday ending the week of the latest order when that is earlier, so that
    a historical extract is scored on its own last week rather than months of silence."""
    latest = latest_order_date()
    if latest is None:
        return calendar_as_of
    return min(calendar_as_of, latest + timedelta(days=6 - latest.weekday()))


def run_as_of(as_of=None):
    """The as-of date of an engine's run: ``as_of`` (a date or ``YYYY-MM-DD``) when given,
    else today, or the Sunday ending the latest order's week when that is earlier. Every engine
    reads a stale extract as of its own last week: as of today, a 2011 export would be years of
    silence (every client lapsed, every outcome window closed with nothing bought)."""
    if isinstance(as_of, str):
        return date.fromisoformat(as_of)
    return as_of or data_as_of(timezone.localdate())


@dataclass(frozen=True)
class AsOfCheck:
    """How a run's as-of date relates to the data: ``latest`` order date, whether the as-of is
    the week of the latest order (``data_week``), and ``weeks_after`` it (0 when on or before)."""

    latest: object
    data_week: bool
    weeks_after: int

    @property
    def stale(self):
        return self.weeks_after > STALE_AS_OF_WEEKS


def check_as_of(as_of, today=None):
    """An :class:`AsOfCheck` of ``as_of`` against the orders; None without orders.
    ``data_week`` is true only when the data ends before the calendar's last Sunday."""
    latest = latest_order_date()
    if latest is None:
        return None
    today = today or timezone.localdate()
    calendar = today - timedelta(days=(today.weekday() + 1) % 7)
    week_end = latest + timedelta(days=6 - latest.weekday())
    data_week = as_of == week_end < calendar
    return AsOfCheck(latest, data_week, max((as_of - latest).days // 7, 0))
