"""The alert kinds the deals engine raises, registered with ``crm.kinds`` at start-up."""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives

AT_RISK = "deal_at_risk"
STALLED = "deal_stalled"
SKIPPED_QUALIFICATION = "deal_skipped_qualification"
CODES = (AT_RISK, STALLED, SKIPPED_QUALIFICATION)

_COMMON = (
    kinds.EvidenceField("amount", _("Deal amount"), "euros"),
    kinds.EvidenceField("p_loss", _("Estimated chance of loss"), "percent"),
    kinds.EvidenceField("at_stake", _("At stake (amount × P(loss))"), "euros"),
    kinds.EvidenceField("stage", _("Stage"), "text"),
)


def register_all():
    kinds.register(
        kinds.AlertKind(
            code=AT_RISK,
            engine="deals",
            label=_("Deal at risk"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.at_risk,
            evidence_fields=_COMMON
            + (kinds.EvidenceField("base_rate", _("Usual loss rate"), "percent"),),
            labels={"es": "Oportunidad en riesgo", "en": "Deal at risk"},
            spoken=("p_loss", "stage"),
        )
    )
    kinds.register(
        kinds.AlertKind(
            code=STALLED,
            engine="deals",
            label=_("Deal stalled"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.stalled,
            evidence_fields=_COMMON
            + (
                kinds.EvidenceField("days_in_stage", _("Days in stage"), "int"),
                kinds.EvidenceField("stage_p90", _("P90 of the stage (days)"), "int"),
            ),
            labels={"es": "Oportunidad atascada", "en": "Deal stalled"},
            spoken=("days_in_stage", "stage"),
        )
    )
    kinds.register(
        kinds.AlertKind(
            code=SKIPPED_QUALIFICATION,
            engine="deals",
            label=_("Skipped qualification"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.skipped_qualification,
            evidence_fields=_COMMON
            + (
                kinds.EvidenceField("skip_loss_rate", _("Loss rate when skipped"), "percent"),
                kinds.EvidenceField("rest_loss_rate", _("Loss rate otherwise"), "percent"),
            ),
            labels={"es": "Sin cualificar", "en": "Skipped qualification"},
            spoken=("p_loss", "stage"),
        )
    )
