"""Rep- and manager-facing pages.

Each view checks visibility through ``crm.selectors`` (anything not visible is a 404), calls a
selector or a service and renders. ``request.htmx`` picks the partial under
``templates/crm/partials/``; every page also works as plain HTML forms and links.
"""

import uuid
from urllib.parse import quote, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors, services
from crm.models import Feedback

from . import kinds
from . import selectors as web_selectors
from .forms import FALSE_ALARM_REASONS, AnswerForm, QueueFilterForm, VisitNoteForm
from .templatetags.web_tags import euros as format_euros

PAGE_SIZE = 25


# --- Helpers -----------------------------------------------------------------------------


def _actions():
    from recommender.models import Action

    return list(Action.objects.filter(active=True))


def _answer_context(alert, actions, recommendation=None, form=None):
    """What the answer controls of one alert need: actions that apply, the default, a key."""
    applicable = [a for a in actions if a.applies_to(alert.kind)]
    recommended = getattr(recommendation, "action", None)
    default = recommended.pk if recommended is not None else None
    if form is not None and str(form.data.get("action", "")).isdigit():
        default = int(form.data["action"])
    return {
        "alert": alert,
        "actions": applicable,
        "default_action": default,
        "recommendation": recommendation,
        "key": (form.data.get("key") if form is not None else None) or uuid.uuid4().hex,
        "form": form,
        "reasons": FALSE_ALARM_REASONS,
        "min_snooze": AnswerForm.min_snooze_date().isoformat(),
        "default_snooze": AnswerForm.default_snooze_date().isoformat(),
    }


def _wants_partial(request):
    """An htmx request for a fragment (not a boosted link nor a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _render(request, full, partial, context, status=200):
    """Render the partial for htmx and the full page otherwise; caches keep them apart."""
    template = partial if _wants_partial(request) else full
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


class _CountedPaginator(Paginator):
    """A paginator told its total, so the queue makes no separate ``COUNT(*)``."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self._known = count

    @property
    def count(self):
        return self._known


def _queue_state(request, query):
    """Filters, per-kind counts and the total of the queue described by ``query``."""
    form = QueueFilterForm(query, user=request.user)
    filters = form.filters()
    counts = selectors.queue_counts(request.user, filters)
    if filters.kind:
        total, euros = counts.get(filters.kind, (0, 0))
    else:
        total = sum(n for n, _e in counts.values())
        euros = sum(e for _n, e in counts.values())
    chips = [
        {"kind": kind, "label": label, "n": counts.get(kind, (0, 0))[0], "color": kinds.color(kind)}
        for kind, label in kinds.choices()
        if kind in counts or kind == filters.kind
    ]
    # Alerts of a kind no engine registers any more still count, under their code.
    known = {c["kind"] for c in chips}
    chips += [
        {"kind": kind, "label": kinds.label(kind), "n": n}
        for kind, (n, _e) in sorted(counts.items())
        if kind not in known
    ]
    all_n = sum(n for n, _e in counts.values())
    scope = query.get("scope") if request.user.is_rep else None
    # A rep's "this week": the top of the queue up to their weekly capacity.
    week = selectors.this_week(
        request.user, selectors.queue_alerts(request.user, filters), total, scope
    )
    return {
        "week": week,
        "scope": scope if scope == selectors.SCOPE_ALL else "",
        "filter_form": form,
        "filters": filters,
        "chips": chips,
        "all_n": all_n,
        "total": total,
        "euros": euros,
        "query": query,
    }


def _safe_next(request, fallback):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return fallback


def _safe_back(request):
    url = request.GET.get("back") or request.POST.get("back") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return reverse("web:queue")


def _narrative(alert):
    """The narrative of the alert's kind in the reader's language, or a plain summary."""
    text = kinds.narrative(alert, get_language() or "es")
    if text:
        return text
    return _(
        "%(kind)s on %(family)s for %(client)s: about %(euros)s at stake. "
        "The detailed explanation will appear once the scoring has written it."
    ) % {
        "kind": kinds.label(alert.kind),
        "family": kinds.subject(alert) or _("several families"),
        "client": (alert.client.name or alert.client.code) if alert.client_id else _("Pipeline"),
        "euros": format_euros(alert.priority),
    }


# --- Queue -------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request):
    """The alert queue of the user (a manager's covers the team), largest euros first."""
    state = _queue_state(request, request.GET)
    alerts_qs = selectors.queue_alerts(request.user, state["filters"])
    week = state["week"]
    if week:
        alerts_qs = alerts_qs[: week["n"]]
    paginator = _CountedPaginator(
        selectors.queue_page_alerts(alerts_qs),
        PAGE_SIZE,
        week["n"] if week else state["total"],
    )
    page = paginator.get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    recs = web_selectors.recommendations_for(alerts)
    # The answer forms of a row load when the rep opens them (see ``answer``).
    rows = [{"alert": a, "recommendation": recs.get(a.pk)} for a in alerts]
    context = {
        **state,
        "page": page,
        "rows": rows,
        "next": request.get_full_path(),
        "next_q": quote(request.get_full_path(), safe=""),
        "reasons": FALSE_ALARM_REASONS,
    }
    return _render(request, "web/queue.html", "web/partials/queue_body.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, pk):
    """Record an answer to an alert: the row (htmx from the queue), the panel, or a redirect.

    GET gives the answer forms of a queue row, loaded when the rep opens them (without
    JavaScript it leads to the alert page, which has the same forms).
    """
    alert = selectors.visible_alert(request.user, pk)
    actions = _actions()
    if request.method == "GET":
        if not request.htmx:
            return redirect(reverse("web:alert", args=[alert.pk]) + "#answer-h")
        context = {
            "row": _answer_context(alert, actions, web_selectors.recommendation_for(alert)),
            "where": "row",
            "next": _safe_next(request, reverse("web:queue")),
        }
        return render(request, "web/partials/answer_forms.html", context)
    form = AnswerForm(request.POST, alert=alert, actions=actions)
    where = request.POST.get("where", "detail")
    feedback = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback = services.answer_alert(
                alert,
                request.user,
                data["verdict"],
                action=data["action"],
                reason=data["reason"],
                comment=data["comment"],
                snooze_until=data["snooze_until"],
                idempotency_key=data["key"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if feedback.alert_id != alert.pk or feedback.user_id != request.user.pk:
                # The key stands for someone else's answer: say so, show nothing of it.
                form.add_error(None, _("This form was already used. Reload the page."))
                feedback = None
    next_url = _safe_next(request, reverse("web:alert", args=[alert.pk]))
    if not request.htmx:
        if feedback is not None:
            messages.success(request, _("Answer recorded: %(alert)s.") % {"alert": alert})
            return HttpResponseRedirect(next_url)
        return _render_detail(request, alert, form=form, status=400)
    if where == "row":
        query = QueryDict(urlsplit(next_url).query)
        context = {
            **_queue_state(request, query),
            "row": _answer_context(alert, actions, form=form if feedback is None else None),
            "alert": alert,
            "feedback": feedback,
            "next": next_url,
            "next_q": quote(next_url, safe=""),
        }
        return render(request, "web/partials/answer_row_response.html", context)
    return _render_detail(request, alert, form=form if feedback is None else None, partial=True)


# --- Alert detail ------------------------------------------------------------------------


def _render_detail(request, alert, *, form=None, partial=False, status=200):
    recommendation = web_selectors.recommendation_for(alert)
    context = {
        "alert": alert,
        "narrative": _narrative(alert),
        "chart": kinds.chart(alert),
        "evidence": kinds.evidence_rows(alert),
        "history": selectors.alert_history(alert),
        "answer": _answer_context(alert, _actions(), recommendation, form=form),
        "recommendation": recommendation,
        "back": _safe_back(request),
        "next": reverse("web:alert", args=[alert.pk]),
    }
    if partial:
        return render(request, "web/partials/alert_body.html", context, status=status)
    return _render(
        request, "web/alert_detail.html", "web/partials/alert_body.html", context, status=status
    )


@login_required
@require_GET
def alert_detail(request, pk):
    """An alert with its narrative, chart, evidence, recommendation and history."""
    alert = selectors.visible_alert(request.user, pk)
    return _render_detail(request, alert)


# --- Client ------------------------------------------------------------------------------


def _client_context(request, client, note_form=None):
    live, past = selectors.client_alerts(client)
    return {
        "client": client,
        "families": web_selectors.client_families(client),
        "orders": selectors.recent_orders(client),
        "live_alerts": live,
        "past_alerts": past,
        "notes": selectors.visit_notes(client),
        "note_form": note_form or VisitNoteForm(),
    }


@login_required
@require_GET
def client_detail(request, pk):
    """A client: families with their twins, potentials, orders, alerts and visit notes."""
    client = selectors.visible_client(request.user, pk)
    context = _client_context(request, client)
    return _render(request, "web/client_detail.html", "web/partials/client_body.html", context)


@login_required
@require_POST
def add_note(request, pk):
    """Add a visit note to a client the user can see."""
    client = selectors.visible_client(request.user, pk)
    form = VisitNoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_visit_note(client, request.user, form.cleaned_data["text"])
            form = VisitNoteForm()
        except ValidationError as exc:
            form.add_error("text", exc.message_dict.get("text"))
        else:
            if not request.htmx:
                messages.success(request, _("Note saved."))
                return redirect(reverse("web:client", args=[client.pk]) + "#notes")
    if request.htmx:
        context = {"client": client, "notes": selectors.visit_notes(client), "note_form": form}
        return render(request, "web/partials/visit_notes.html", context)
    context = _client_context(request, client, note_form=form)
    return render(request, "web/client_detail.html", context, status=400)


# --- Manager -----------------------------------------------------------------------------


@login_required
@require_GET
def manager(request):
    """Team queues, coverage (alerts nobody answered in 7 days) and track record per kind."""
    if request.user.is_rep:
        raise Http404("Only managers have a team view.")
    unanswered = selectors.unanswered_alerts(request.user)
    coverage_page = Paginator(unanswered, 15).get_page(request.GET.get("page"))
    records, source = web_selectors.track_record(request.user)
    context = {
        "team": selectors.team_queues(request.user),
        "coverage": coverage_page,
        "coverage_days": selectors.COVERAGE_DAYS,
        "records": records,
        "record_source": source,
        "run_status_url": reverse("web:run_status"),
        "verdicts": Feedback.Verdict,
    }
    return _render(request, "web/manager.html", "web/partials/manager_body.html", context)
