"""The ``cross_sell`` alert kind, raised by the propensity model and registered with
``crm.kinds`` by ``RecommenderConfig.ready()``.

The code stays ``cross_sell`` (the bandit's actions and priors name it); the twins no longer
register it and raise it only when ``TWINS_CROSS_SELL`` is on (the old co-occurrence rule),
in which case this kind's narrative tells those alerts as the rule's.
"""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives

CODE = "cross_sell"
ENGINE = "recommender"

F = kinds.EvidenceField
EVIDENCE_FIELDS = (
    F("euros_at_stake", _("Euros at stake"), "euros"),
    F("probability", _("Probability of starting to buy"), "percent"),
    F("expected_value", _("Expected first-year value"), "euros"),
    F("potential_euros", _("Annual potential"), "euros"),
    F("bundle_name", _("Proposed bundle"), "text"),
    F("threshold", _("Alert threshold"), "percent"),
    F("model_version", _("Model version"), "int"),
)


def register_all():
    kinds.register(
        kinds.AlertKind(
            code=CODE,
            engine=ENGINE,
            label=_("Cross-sell opportunity"),
            labels={"es": "Oportunidad de venta cruzada", "en": "Cross-sell opportunity"},
            subject=kinds.Subject.CLIENT_FAMILY,
            narrative=narratives.render,
            evidence_fields=EVIDENCE_FIELDS,
            spoken=("probability", "expected_value"),
        )
    )
