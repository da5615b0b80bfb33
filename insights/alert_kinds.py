"""The alert kind the insights engine raises, registered with ``crm.kinds`` at start-up."""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives

CHURN_RISK = "client_churn_risk"
CODES = (CHURN_RISK,)


def register_all():
    kinds.register(
        kinds.AlertKind(
            code=CHURN_RISK,
            engine="insights",
            label=_("Client churn risk"),
            labels={"es": "Riesgo de pérdida del cliente", "en": "Client churn risk"},
            subject=kinds.Subject.CLIENT,
            narrative=narratives.churn_risk,
            evidence_fields=(
                kinds.EvidenceField("p_churn", _("P(no order in the next 90 days)"), "percent"),
                kinds.EvidenceField("value_12m", _("Last 12 months"), "euros"),
                kinds.EvidenceField("at_stake", _("At stake (12 months x P)"), "euros"),
                kinds.EvidenceField("days_since_order", _("Days since last order"), "int"),
                kinds.EvidenceField("usual_gap_days", _("Usual days between orders"), "number"),
                kinds.EvidenceField("segment", _("Segment"), "text"),
            ),
            color="#b45309",
        )
    )
