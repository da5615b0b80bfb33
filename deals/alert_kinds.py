"""The alert kinds the deals engine raises, registered with ``crm.kinds`` at start-up."""

from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives

AT_RISK = "deal_at_risk"
STALLED = "deal_stalled"
SKIPPED_QUALIFICATION = "deal_skipped_qualification"
CODES = (AT_RISK, STALLED, SKIPPED_QUALIFICATION)
#: Pipeline-level kinds: about a manager's team, not one client (``Alert.client`` empty,
#: ``Alert.recipient`` the manager).
WIN_RATE_DROP = "pipeline_win_rate_drop"
LATE_LOSSES = "pipeline_late_losses"
RISK_CONCENTRATION = "pipeline_risk_concentration"
PIPELINE_CODES = (WIN_RATE_DROP, LATE_LOSSES, RISK_CONCENTRATION)

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

    _STAKE = kinds.EvidenceField("at_stake", _("At stake"), "euros")
    kinds.register(
        kinds.AlertKind(
            code=WIN_RATE_DROP,
            engine="deals",
            label=_("Win rate dropped"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.win_rate_drop,
            evidence_fields=(
                _STAKE,
                kinds.EvidenceField("rate_recent", _("Win rate, last period"), "percent"),
                kinds.EvidenceField("n_recent", _("Deals closed, last period"), "int"),
                kinds.EvidenceField("rate_before", _("Win rate, before"), "percent"),
                kinds.EvidenceField("n_before", _("Deals closed, before"), "int"),
                kinds.EvidenceField("p_value", _("p-value (one-sided)"), "p"),
                kinds.EvidenceField("n_tests", _("Segments compared"), "int"),
            ),
            labels={"es": "Cae la tasa de éxito", "en": "Win rate dropped"},
        )
    )
    kinds.register(
        kinds.AlertKind(
            code=LATE_LOSSES,
            engine="deals",
            label=_("Late-stage losses rising"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.late_losses,
            evidence_fields=(
                _STAKE,
                kinds.EvidenceField(
                    "rate_recent", _("Late-stage loss rate, last period"), "percent"
                ),
                kinds.EvidenceField("n_recent", _("Late-stage deals closed, last period"), "int"),
                kinds.EvidenceField("rate_before", _("Late-stage loss rate, before"), "percent"),
                kinds.EvidenceField("n_before", _("Late-stage deals closed, before"), "int"),
                kinds.EvidenceField("lost_amount_recent", _("Lost late, last period"), "euros"),
                kinds.EvidenceField("p_value", _("p-value (one-sided)"), "p"),
            ),
            labels={"es": "Más pérdidas en fase final", "en": "Late-stage losses rising"},
        )
    )
    kinds.register(
        kinds.AlertKind(
            code=RISK_CONCENTRATION,
            engine="deals",
            label=_("Forecast leans on risky deals"),
            subject=kinds.Subject.OTHER,
            narrative=narratives.risk_concentration,
            evidence_fields=(
                _STAKE,
                kinds.EvidenceField("share", _("Share of the pipeline at high risk"), "percent"),
                kinds.EvidenceField("amount_high", _("Amount in high-risk deals"), "euros"),
                kinds.EvidenceField("amount", _("Pipeline closing this quarter"), "euros"),
                kinds.EvidenceField("n_high", _("High-risk deals"), "int"),
                kinds.EvidenceField("expected", _("Forecast (Σ amount × P(win))"), "euros"),
            ),
            labels={"es": "Previsión concentrada en riesgo", "en": "Forecast leans on risky deals"},
        )
    )
