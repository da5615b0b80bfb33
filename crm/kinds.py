"""The alert-kind registry: every engine registers the kinds of alert it raises.

The queue, the detail page, the API and the track record render any registered kind without
naming it; adding a kind touches only the engine that raises it. An engine registers its kinds
in its ``AppConfig.ready()``::

    from crm import kinds

    kinds.register(
        kinds.AlertKind(
            code="deal_at_risk",
            engine="deals",
            label=_("Deal at risk"),
            subject=kinds.Subject.CLIENT,
            narrative=render_deal_narrative,          # (evidence, language) -> str
            evidence_fields=(kinds.EvidenceField("amount", _("Amount"), "euros"), ...),
            chart=deal_chart,                 # (evidence[, chart_id]) -> Chart, SVG or None
        )
    )

``Alert.kind`` takes its choices from :func:`choices`, so a new kind needs no migration. The
pages render a kind through :func:`get` only; a code no engine registers (a retired kind) still
renders, with its code as label and its evidence as plain rows. See ``docs/alert-kinds.md``.
"""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.choices import BaseChoiceIterator
from django.utils.functional import Promise

#: Formats an evidence value may be shown in (the template filters of ``web``).
FORMATS = ("euros", "number", "int", "percent", "percent_signed", "p", "text", "date")


class Subject:
    """What an alert is about; tells the pages which link and which columns to show."""

    CLIENT = "client"  # the whole client (``Alert.family`` is empty)
    CLIENT_FAMILY = "client_family"  # one client's buying of one product family
    OTHER = "other"  # an engine's own record, named in the evidence (``subject_label``)


SUBJECTS = (Subject.CLIENT, Subject.CLIENT_FAMILY, Subject.OTHER)


@dataclass(frozen=True)
class EvidenceField:
    """One number of an alert's evidence shown on the detail page and in the API."""

    key: str
    label: str | Promise
    format: str = "number"

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"evidence field {self.key!r}: unknown format {self.format!r}")


@dataclass(frozen=True)
class Chart:
    """What a kind's chart callable may return instead of bare SVG markup.

    ``svg`` is safe SVG markup; ``title`` heads the chart; ``legend`` lists ``(swatch class,
    label)`` pairs drawn under it (the classes of ``static/css/app.css``: ``bar``, ``out``,
    ``band``, ...); ``table`` is optional safe HTML (a ``<table>``) with the numbers drawn,
    shown under "Show the numbers".
    """

    svg: str
    title: str | Promise = ""
    legend: tuple[tuple[str, str | Promise], ...] = ()
    table: str = ""


@dataclass(frozen=True)
class AlertKind:
    """A kind of alert: its label, who raises it, and how to explain it.

    ``narrative(evidence, language)`` returns the plain-language explanation ("es" or "en");
    ``chart(evidence)`` (or ``chart(evidence, chart_id)``, to name the SVG's ids) returns a
    :class:`Chart`, SVG markup, or ``None``/``""`` when there is nothing to draw;
    ``evidence_fields`` lists the evidence numbers shown beside it, in order (a field whose
    value is missing is left out). ``color`` (a CSS colour, optional) tints the kind's badge.
    ``spoken`` names the evidence keys (of ``evidence_fields``) the weekly audio brief says.
    """

    code: str
    engine: str
    label: str | Promise
    narrative: Callable[[dict, str], str]
    subject: str = Subject.CLIENT_FAMILY
    evidence_fields: tuple[EvidenceField, ...] = ()
    chart: Callable[[dict], str | None] | None = None
    #: Short labels per language for texts rendered outside a request (narratives, audio).
    labels: dict = field(default_factory=dict)
    color: str = ""
    #: Evidence keys the spoken brief says, in order (default: ``evidence_fields``' order).
    spoken: tuple[str, ...] = ()

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", self.code):
            raise ValueError(
                f"alert kind {self.code!r}: 1 to 32 lower-case letters, digits and _ "
                "(it is stored in Alert.kind and used as a CSS class)"
            )
        if self.color and not re.fullmatch(r"#[0-9a-fA-F]{3,8}", self.color):
            raise ValueError(f"alert kind {self.code!r}: colour {self.color!r} is not #rrggbb")
        if self.subject not in SUBJECTS:
            raise ValueError(f"alert kind {self.code!r}: unknown subject {self.subject!r}")

    def label_in(self, language):
        """The label in ``language`` ("es"/"en"), falling back to the translated label."""
        lang = "es" if (language or "es").lower().startswith("es") else "en"
        return self.labels.get(lang) or str(self.label)


_REGISTRY: dict[str, AlertKind] = {}


def register(kind: AlertKind) -> AlertKind:
    """Add ``kind``; registering the same code twice from another engine is an error."""
    existing = _REGISTRY.get(kind.code)
    if existing is not None and existing.engine != kind.engine:
        raise ValueError(f"alert kind {kind.code!r} is registered by {existing.engine!r} already")
    _REGISTRY[kind.code] = kind
    return kind


def unregister(code: str) -> AlertKind | None:
    """Remove ``code`` (for tests that register a kind of their own); returns what was there."""
    return _REGISTRY.pop(code, None)


def get(code: str) -> AlertKind | None:
    """The registered kind, or ``None`` for a code no engine registers (e.g. a retired one)."""
    return _REGISTRY.get(code)


def all_kinds() -> list[AlertKind]:
    """Every registered kind, in registration order."""
    return list(_REGISTRY.values())


def choices():
    """``[(code, label)]`` for ``Alert.kind`` and forms (a callable: evaluated when needed)."""
    return [(k.code, k.label) for k in _REGISTRY.values()]


class _RegisteredChoices(BaseChoiceIterator):
    """``(code, label)`` of the registered kinds, read afresh on each iteration.

    For choice fields built before every engine is ready (a filter set's class body): unlike
    the :func:`choices` callable, tools that read a field's choices without calling anything
    (drf-spectacular's filter parameters) still see the list.
    """

    def __iter__(self):
        return iter(choices())


#: The registered kinds as a lazy iterable of ``(code, label)``.
CHOICES = _RegisteredChoices()


def label(code: str, language: str | None = None):
    """The label of ``code`` (in ``language`` when given), or the code itself if unknown."""
    kind = _REGISTRY.get(code)
    if kind is None:
        return code
    return kind.label_in(language) if language else kind.label


def draw_chart(code: str, evidence: dict, chart_id: str = "chart") -> Chart | None:
    """The chart of an alert of kind ``code``, or ``None`` (unknown kind, nothing to draw).

    Calls the kind's chart with ``chart_id`` when it takes a second argument; wraps bare SVG
    markup into a :class:`Chart` titled with the kind's label.
    """
    kind = _REGISTRY.get(code)
    if kind is None or kind.chart is None:
        return None
    if _takes_chart_id(kind.chart):
        drawn = kind.chart(evidence or {}, chart_id)
    else:
        drawn = kind.chart(evidence or {})
    if not drawn:
        return None
    if isinstance(drawn, Chart):
        return drawn if drawn.svg else None
    return Chart(svg=drawn, title=kind.label)


def _takes_chart_id(func):
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.kind == p.VAR_POSITIONAL
    ]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
