"""Tags the shared templates include: the header's bell and the queue page's brief player."""

from django import template

from .. import notifications
from ..views import player_context

register = template.Library()


@register.inclusion_tag("briefings/bell.html", takes_context=True)
def notification_bell(context):
    user = context["request"].user
    return {"unread": notifications.unread_count(user) if user.is_authenticated else 0}


@register.inclusion_tag("briefings/player.html", takes_context=True)
def brief_player(context):
    request = context["request"]
    return {
        **player_context(request.user),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
