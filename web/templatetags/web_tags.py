"""Formatting helpers of the CRM pages: euros, ages, percentages, kind badges."""

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crm import kinds
from web import kinds as web_kinds

register = template.Library()


@register.filter
def person(user):
    """A user's full name, else username; "—" for nobody (a client without a rep, a deal
    without an owner: common in real exports)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username


@register.filter
def euros(value, digits=0):
    """``12345.6`` -> ``12 346 €`` in Spanish, ``€12,346`` in English; empty for ``None``."""
    if value is None or value == "":
        return ""
    amount = round(Decimal(str(value)), int(digits))
    text = number_format(amount, decimal_pos=int(digits), use_l10n=True, force_grouping=True)
    if (get_language() or "es").startswith("en"):
        return text.replace("-", "−€", 1) if amount < 0 else f"€{text}"
    return f"{text}\xa0€"


@register.filter
def number(value, digits=1):
    """A localised number with ``digits`` decimals; empty for ``None``."""
    if value is None or value == "":
        return ""
    try:
        value = round(float(value), int(digits))
    except (TypeError, ValueError):
        return value
    return number_format(value, decimal_pos=int(digits), use_l10n=True, force_grouping=True)


@register.filter
def percent(value, digits=0):
    """``0.734`` -> ``73 %`` (localised); empty for ``None``."""
    if value is None or value == "":
        return ""
    # Round first: number_format cuts the digits off (0.459 would show as 45 %, not 46 %).
    shown = round(float(value) * 100, int(digits))
    text = number_format(shown, decimal_pos=int(digits), use_l10n=True)
    return f"{text}\xa0%"


@register.filter
def age(value):
    """Whole days since ``value`` as a compact label: ``today``, ``1 d``, ``12 d``."""
    if not value:
        return ""
    days = (timezone.now() - value).days
    if days < 1:
        return _("today")
    return _("%(n)d d") % {"n": days}


@register.filter
def days_since(value):
    if not value:
        return None
    return (timezone.now() - value).days


@register.simple_tag
def kind_badge(kind):
    """A badge in the colour of the alert kind (the colour is repeated by its label).

    The colour comes from ``static/css/app.css`` (``.kind-<code>``) or, for a kind that
    registers a ``color``, from the badge's own style; an unregistered kind shows its code.
    """
    registered = kinds.get(kind)
    if registered is not None and registered.color:
        return format_html(
            '<span class="badge kind kind-{}" style="--kind: {}"><i class="dot" '
            'aria-hidden="true"></i>{}</span>',
            kind,
            registered.color,
            registered.label,
        )
    return format_html(
        '<span class="badge kind kind-{}"><i class="dot" aria-hidden="true"></i>{}</span>',
        kind,
        kinds.label(kind),
    )


@register.simple_tag
def alert_subject(alert, default=""):
    """What the alert is about: its family, the record its engine names, or ``default``."""
    return web_kinds.subject(alert, default)


@register.simple_tag
def alert_client_name(alert):
    """The client's name (or code); for an alert about no client (a pipeline-level alert to a
    manager), "Pipeline"."""
    if alert.client_id is None:
        return _("Pipeline")
    return alert.client.name or alert.client.code


@register.simple_tag
def alert_recipient(alert):
    """Whom an alert about no client is addressed to ("" for client alerts)."""
    return person(alert.recipient) if alert.recipient_id else ""


@register.simple_tag
def status_badge(alert):
    until = getattr(alert, "snoozed_until", None)
    if alert.status == "snoozed" and until and until <= timezone.localdate():
        return format_html(
            '<span class="badge status status-back">{}</span>', _("Back from snooze")
        )
    return format_html(
        '<span class="badge status status-{}">{}</span>', alert.status, alert.get_status_display()
    )
