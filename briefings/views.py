"""Thin views: the brief player and its audio, the notification list and bell, the profile."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import digest, notifications, services, synth, tasks
from .models import Brief


def player_context(user):
    brief = services.latest_brief(user)
    return {
        "brief": brief,
        "audio_ok": bool(brief and services.audio_path(brief)),
        "synth_available": synth.available(),
    }


@login_required
@require_GET
def player(request):
    return render(request, "briefings/player.html", player_context(request.user))


@login_required
@require_POST
def new_brief(request):
    """Build the user's brief now (in the worker when there is one)."""
    tasks.build_brief.delay(request.user.pk)
    if request.htmx:
        return render(request, "briefings/player.html", player_context(request.user))
    return redirect("web:queue")


@login_required
@require_GET
def audio(request, pk):
    """The brief's audio, to its owner only: anyone else gets 404 as if it did not exist."""
    brief = Brief.objects.filter(pk=pk, user=request.user).first()
    path = services.audio_path(brief) if brief else None
    if path is None:
        raise Http404("No such brief.")
    size = path.stat().st_size
    span = _byte_range(request.headers.get("Range", ""), size)
    if span is None:
        response = FileResponse(path.open("rb"), content_type="audio/ogg")
    else:  # the player asks for the end of the file to learn the duration, and to seek
        start, end = span
        with path.open("rb") as f:
            f.seek(start)
            response = HttpResponse(f.read(end - start + 1), status=206, content_type="audio/ogg")
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _byte_range(header, size):
    """``(start, end)`` of a single ``bytes=`` range within ``size``, else ``None``."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match or size == 0 or not any(match.groups()):
        return None
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:
        start, end = max(size - int(last), 0), size - 1
    return (start, end) if start <= end else None


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first; opening the list marks them read."""
    items = [
        {"n": n, "text": notifications.text_of(n), "unread": n.read_at is None}
        for n in notifications.recent(request.user)
    ]
    notifications.mark_all_read(request.user)
    return render(request, "briefings/notifications.html", {"items": items})


@login_required
@require_GET
def bell(request):
    """The header's bell with the unread count (polled by HTMX)."""
    return render(
        request, "briefings/bell.html", {"unread": notifications.unread_count(request.user)}
    )


@login_required
@require_POST
def mark_read(request):
    notifications.mark_all_read(request.user)
    return redirect("briefings:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's own settings: the weekly e-mail digest on or off."""
    if request.method == "POST":
        enabled = request.POST.get("weekly_digest") == "on"
        digest.set_digest(request.user, enabled)
        messages.success(
            request,
            _("The weekly digest is on.") if enabled else _("The weekly digest is off."),
        )
        return redirect("briefings:profile")
    return render(
        request,
        "briefings/profile.html",
        {"weekly_digest": digest.wants_digest(request.user)},
    )
