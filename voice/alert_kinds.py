"""The alert kind the voice engine raises, registered with ``crm.kinds`` at start-up."""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import charts, narratives

DETRACTOR = "detractor"
CODES = (DETRACTOR,)


def register_all():
    kinds.register(
        kinds.AlertKind(
            code=DETRACTOR,
            engine="voice",
            label=_("Detractor"),
            labels={"es": "Detractor", "en": "Detractor"},
            subject=kinds.Subject.CLIENT,
            narrative=narratives.detractor,
            evidence_fields=(
                kinds.EvidenceField("nps", _("NPS score (0-10)"), "int"),
                kinds.EvidenceField("survey_date", _("Survey date"), "date"),
                kinds.EvidenceField("revenue_12m", _("Sales, last 12 months"), "euros"),
                kinds.EvidenceField(
                    "orders_change", _("Orders since the complaint"), "percent_signed"
                ),
                kinds.EvidenceField("at_stake", _("At stake"), "euros"),
            ),
            chart=charts.nps_chart,
            color="#b91c1c",
        )
    )
