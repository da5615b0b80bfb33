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
            chart=deal_chart,                          # (evidence) -> SVG markup, or None
        )
    )

``Alert.kind`` takes its choices from :func:`choices`, so a new kind needs no migration.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

#: Formats an evidence value may be shown in (the template filters of ``web``).
FORMATS = ("euros", "number", "int", "percent", "percent_signed", "p", "text", "date")


class Subject:
    """What an alert is about; tells the pages which link and which columns to show."""

    CLIENT = "client"  # the whole client (``Alert.family`` is empty)
    CLIENT_FAMILY = "client_family"  # one client's buying of one product family
    OTHER = "other"  # an engine's own record, named in the evidence (``subject_label``)


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
class AlertKind:
    """A kind of alert: its label, who raises it, and how to explain it.

    ``narrative(evidence, language)`` returns the plain-language explanation ("es" or "en");
    ``chart(evidence)`` returns SVG markup for the detail page, or ``None`` when there is
    nothing to draw; ``evidence_fields`` lists the evidence numbers shown beside it.
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


def get(code: str) -> AlertKind | None:
    """The registered kind, or ``None`` for a code no engine registers (e.g. a retired one)."""
    return _REGISTRY.get(code)


def all_kinds() -> list[AlertKind]:
    """Every registered kind, in registration order."""
    return list(_REGISTRY.values())


def choices():
    """``[(code, label)]`` for ``Alert.kind`` and forms (a callable: evaluated when needed)."""
    return [(k.code, k.label) for k in _REGISTRY.values()]


def label(code: str, language: str | None = None):
    """The label of ``code`` (in ``language`` when given), or the code itself if unknown."""
    kind = _REGISTRY.get(code)
    if kind is None:
        return code
    return kind.label_in(language) if language else kind.label
