"""How the pages and the API render an alert of any kind, through ``crm.kinds`` alone.

Nothing here names a kind: the label, narrative, chart, evidence fields and subject come from
the engine that registered the kind. A code no engine registers (a retired kind, or an engine
switched off) still renders: its code as label, no chart, its evidence as plain rows.
"""

from django.utils.translation import get_language

from crm import kinds


def label(code):
    """The translated label of ``code``, or the code itself when no engine registers it."""
    return kinds.label(code)


def color(code):
    """The colour the kind registers for its badge and chip, or ``""`` (then ``app.css``)."""
    kind = kinds.get(code)
    return kind.color if kind is not None else ""


def choices():
    """``[(code, label)]`` of every registered kind, for forms, filters and chips."""
    return kinds.choices()


def language():
    return get_language() or "es"


def narrative(alert, lang=None):
    """The kind's narrative of ``alert``'s evidence in ``lang`` (the reader's by default).

    Empty when the alert has no evidence or its kind is not registered.
    """
    kind = kinds.get(alert.kind)
    if kind is None or not alert.evidence:
        return ""
    return kind.narrative(dict(alert.evidence), lang or language())


def chart(alert):
    """The kind's :class:`crm.kinds.Chart` of ``alert``, or ``None``."""
    return kinds.draw_chart(alert.kind, alert.evidence or {}, f"chart-{alert.pk}")


def _scalar(value):
    return isinstance(value, (str, int, float, bool)) and value != ""


def evidence_rows(alert):
    """``[{label, value, format}]``: the kind's evidence fields the alert's evidence holds.

    For a kind no engine registers, every scalar of the evidence as a plain row.
    """
    ev = alert.evidence or {}
    kind = kinds.get(alert.kind)
    if kind is None:
        return [
            {"label": key, "value": value, "format": "text"}
            for key, value in ev.items()
            if _scalar(value)
        ]
    rows = []
    for f in kind.evidence_fields:
        value, fmt = ev.get(f.key), f.format
        if value is None or value == "":
            continue
        if fmt in ("percent", "percent_signed", "number", "int", "p", "euros"):
            try:
                float(value)
            except (TypeError, ValueError):
                fmt = "text"
        if fmt == "percent_signed":
            value = float(value)
        rows.append({"label": f.label, "value": value, "format": fmt})
    return rows


def subject(alert, default=""):
    """What ``alert`` is about, in a few words: the family, or the engine's own record."""
    kind = kinds.get(alert.kind)
    if kind is not None and kind.subject == kinds.Subject.OTHER:
        named = (alert.evidence or {}).get("subject_label")
        if named:
            return str(named)
    if alert.family_id:
        return alert.family.name
    return default
