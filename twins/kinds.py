"""The kinds of alert the twins raise, registered in ``crm.kinds`` by ``TwinsConfig.ready()``.

Each kind gets its label (the translated one for the pages; Spanish and English for texts
rendered outside a request), its narrative (``twins.narratives``), its chart
(``twins.charts.alert_chart``), the evidence fields shown beside it and what it is about.
"""

from functools import partial

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm import kinds

from . import narratives
from .charts import alert_chart

ENGINE = "twins"


class Kind(models.TextChoices):
    """The codes stored in ``Alert.kind`` for twin alerts (the same as ``stats.ALERT_KINDS``,
    which the statistics produce; a test holds them equal)."""

    PARTIAL_CHURN = "partial_churn", _("Partial churn")
    FULL_CHURN = "full_churn", _("Stopped buying")
    TECHNICAL_DETERIORATION = "technical_deterioration", _("Technical deterioration")
    SUSPICIOUS_PAUSE = "suspicious_pause", _("Suspicious pause")
    UNCAPTURED_POTENTIAL = "uncaptured_potential", _("Uncaptured potential")
    CROSS_FAMILY_DECLINE = "cross_family_decline", _("Several families falling")
    CAMPAIGN_NO_RESPONSE = "campaign_no_response", _("No response to campaign")
    CROSS_SELL = "cross_sell", _("Cross-sell opportunity")


F = kinds.EvidenceField

#: The evidence numbers of twin alerts, in the order the detail page lists them. Every kind
#: shows those its evidence holds (a field missing from an alert's evidence is left out).
EVIDENCE_FIELDS = (
    F("euros_at_stake", _("Euros at stake"), "euros"),
    F("observed_units", _("Units bought in the window"), "number"),
    F("expected_units", _("Units expected in the window"), "number"),
    F("window_weeks", _("Window (weeks)"), "int"),
    F("silence_weeks", _("Weeks without buying"), "int"),
    F("expected_units_per_week", _("Expected units per week"), "number"),
    F("purchases_52w_euros", _("Bought in the last 52 weeks"), "euros"),
    F("potential_euros", _("Annual potential"), "euros"),
    F("share_of_wallet", _("Share of potential captured"), "percent"),
    F("typical_annual_euros", _("Typical annual purchase of similar clients"), "euros"),
    F("families_falling", _("Families falling"), "int"),
    F("families_mature", _("Families with a mature twin"), "int"),
    F("p_active", _("Probability it still buys"), "percent"),
    F("median_gap_days", _("Median gap (days)"), "number"),
    F("magnitude", _("Size of the change"), "percent_signed"),
    F("probability", _("Probability"), "percent"),
    F("p_value", _("Tail p-value"), "p"),
    F("maturity_weeks", _("Weeks of history"), "int"),
    F("current_silence_days", _("Days since last purchase"), "int"),
    F("p75_gap_days", _("Usual gap, P75 (days)"), "number"),
    F("p90_gap_days", _("Long gap, P90 (days)"), "number"),
    F("last_purchase", _("Last purchase"), "text"),
)

#: Kinds about the whole client rather than one of its families (``Alert.family`` is empty).
CLIENT_KINDS = {Kind.CROSS_FAMILY_DECLINE}


#: The evidence the weekly spoken brief says for each kind (two facts at most).
SPOKEN = {
    Kind.PARTIAL_CHURN: ("observed_units", "expected_units"),
    Kind.FULL_CHURN: ("silence_weeks", "median_gap_days"),
    Kind.TECHNICAL_DETERIORATION: ("current_silence_days", "median_gap_days"),
    Kind.SUSPICIOUS_PAUSE: ("current_silence_days", "median_gap_days"),
    Kind.UNCAPTURED_POTENTIAL: ("potential_euros", "share_of_wallet"),
    Kind.CROSS_FAMILY_DECLINE: ("families_falling",),
    Kind.CAMPAIGN_NO_RESPONSE: ("window_weeks",),
    Kind.CROSS_SELL: ("typical_annual_euros",),
}
#: Kinds the twins compute but no longer own: ``cross_sell`` is raised and registered by the
#: recommender's propensity model (the twins' co-occurrence rule only behind TWINS_CROSS_SELL).
NOT_REGISTERED = {Kind.CROSS_SELL}


def register_all():
    """Register the twin kinds (called once from ``TwinsConfig.ready()``)."""
    for code, label in Kind.choices:
        if code in NOT_REGISTERED:
            continue
        es, en = narratives.LABELS[code]
        kinds.register(
            kinds.AlertKind(
                code=code,
                engine=ENGINE,
                label=label,
                narrative=partial(narratives.render_narrative, code),
                subject=kinds.Subject.CLIENT
                if code in CLIENT_KINDS
                else kinds.Subject.CLIENT_FAMILY,
                evidence_fields=EVIDENCE_FIELDS,
                chart=alert_chart,
                labels={"es": es, "en": en},
                spoken=SPOKEN.get(code, ()),
            )
        )
