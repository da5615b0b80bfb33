"""Narratives in Spanish and English, from structured evidence."""

import pytest

from twins.narratives import fmt_number, kind_label, render_narrative
from twins.stats.api import ALERT_KINDS

PARTIAL = {
    "kind": "partial_churn",
    "family_kind": "commodity",
    "maturity_weeks": 104,
    "magnitude": 0.62,
    "expected_units_per_week": 23.8,
    "recovery_threshold_units_per_week": 14.75,
    "euros_at_stake": 5051.4,
    "probability": 0.9999,
    "p_value": 0.00012,
    "window_weeks": 6,
    "observed_units": 54.0,
    "expected_units": 142.8,
    "horizon_weeks": 8,
    "silence_weeks": 0,
    "family_name": "Anestesia",
}
TECHNICAL = {
    "kind": "technical_deterioration",
    "family_kind": "technical",
    "maturity_weeks": 150,
    "magnitude": 0.4,
    "expected_units_per_week": 1.2,
    "recovery_threshold_units_per_week": 0.8,
    "euros_at_stake": 281.0,
    "probability": 0.93,
    "p_value": None,
    "gaps_days": [28, 28, 42, 49],
    "median_gap_days": 29.0,
    "p75_gap_days": 33.0,
    "p90_gap_days": 36.0,
    "current_silence_days": 49,
    "last_purchase": "2024-11-25",
    "gap_trend": 1.6,
    "horizon_weeks": 8,
}


def test_partial_churn_spanish_uses_decimal_comma_and_cautious_wording():
    text = render_narrative("partial_churn", PARTIAL, "es")
    assert "142,8" in text and "14,8" in text and "5.051 €" in text
    assert "Anestesia" in text and "6 semanas" in text and "62 %" in text
    assert "compatible con una fuga parcial" in text
    assert "1 vez de cada 5.000" in text
    assert "ha abandonado" not in text


def test_partial_churn_english():
    text = render_narrative("partial_churn", PARTIAL, "en")
    assert "142.8" in text and "€5,051" in text and "62%" in text
    assert "compatible with partial churn" in text
    assert "has churned" not in text


def test_technical_narrative_names_the_gaps_in_both_languages():
    es = render_narrative("technical_deterioration", TECHNICAL, "es")
    en = render_narrative("technical_deterioration", TECHNICAL, "en")
    assert "49 días" in es and "1 de cada 10" in es and "1,6 veces" in es
    assert "49 days" in en and "1 in 10" in en and "1.6 times" in en
    pause = render_narrative("suspicious_pause", {**TECHNICAL, "current_silence_days": 34}, "en")
    assert "3 in 4" in pause and "pause worth watching" in pause


def test_full_churn_never_claims_certainty():
    ev = {
        "kind": "full_churn",
        "family_kind": "commodity",
        "silence_weeks": 5,
        "expected_units_per_week": 12.44,
        "p_active": 0.0001,
        "euros_at_stake": 0,
    }
    es = render_narrative("full_churn", ev, "es")
    en = render_narrative("full_churn", ev, "en")
    assert "< 1 %" in es and "compatible con que haya dejado" in es and "12,4" in es
    assert "< 1%" in en and "compatible with the client having stopped" in en


@pytest.mark.parametrize("kind", ALERT_KINDS)
@pytest.mark.parametrize("language", ["es", "en"])
def test_every_kind_renders_with_a_label(kind, language):
    ev = {
        **PARTIAL,
        **TECHNICAL,
        "kind": kind,
        "share_of_wallet": 0.3,
        "potential_euros": 9000,
        "purchases_52w_euros": 2700,
        "families_falling": 2,
        "families_mature": 4,
        "family_lift": 1.8,
        "client_lift": 0.9,
    }
    text = render_narrative(kind, ev, language)
    assert len(text) > 40 and "None" not in text
    assert kind_label(kind, language) != kind


def test_number_formatting():
    assert fmt_number(1234.5, "es") == "1.234,5"
    assert fmt_number(1234.5, "en") == "1,234.5"
    assert fmt_number(3.0, "es") == "3"


def test_cross_sell_names_a_recorded_potential_in_both_languages():
    ev = {"kind": "cross_sell", "family_name": "Implants", "probability": 0.3}
    assert "potential" not in render_narrative("cross_sell", ev, "en")
    ev["potential_euros"] = 5200.0
    assert "recorded potential of €5,200 a year" in render_narrative("cross_sell", ev, "en")
    assert "potencial de 5.200 € al año" in render_narrative("cross_sell", ev, "es")
