"""The ``launch_early_adopter`` alert kind, registered with ``crm.kinds`` at start-up."""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives

EARLY_ADOPTER = "launch_early_adopter"
CODES = (EARLY_ADOPTER,)


def register_all():
    kinds.register(
        kinds.AlertKind(
            code=EARLY_ADOPTER,
            engine="recommender",
            label=_("Early adopter"),
            labels={"es": "Cliente pionero", "en": "Early adopter"},
            subject=kinds.Subject.OTHER,
            narrative=narratives.early_adopter,
            evidence_fields=(
                kinds.EvidenceField("product_name", _("New product"), "text"),
                kinds.EvidenceField("launch_date", _("Launch date"), "date"),
                kinds.EvidenceField("combined", _("Chance of buying in 12 weeks"), "percent"),
                kinds.EvidenceField("expected_value", _("Expected first-quarter value"), "euros"),
                kinds.EvidenceField("rule_score", _("Early-adopter rule score"), "percent"),
                kinds.EvidenceField("lookalike", _("Lookalike score"), "percent"),
                kinds.EvidenceField("appetence", _("Appetence for the product"), "percent"),
                kinds.EvidenceField("band", _("Band (lookalike × appetence)"), "text"),
                kinds.EvidenceField("band_conversion", _("Past conversion of the band"), "percent"),
            ),
            color="#7c3aed",
        )
    )
