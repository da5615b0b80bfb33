"""Plain-language texts of the insights engine, from stored evidence, in Spanish and English."""

from django.utils import translation
from django.utils.translation import gettext as _

#: feature -> (Spanish, English) phrase of a reason, formatted with the value.
REASONS = {
    "recency_days": ("{v:.0f} días sin pedir", "{v:.0f} days without an order"),
    "recency_ratio": (
        "{v:.1f} veces su intervalo habitual sin pedir",
        "{v:.1f} times its usual gap without an order",
    ),
    "frequency": ("{v:.0f} pedidos en 12 meses", "{v:.0f} orders in 12 months"),
    "monetary": ("{v:,.0f} € en 12 meses", "€{v:,.0f} in 12 months"),
    "n_families": ("{v:.0f} familias compradas", "{v:.0f} families bought"),
    "median_gap_days": ("intervalo habitual de {v:.0f} días", "usual gap of {v:.0f} days"),
    "regularity": ("pedidos irregulares (CV {v:.2f})", "irregular orders (CV {v:.2f})"),
    "trend": ("tendencia semestral {v:+.2f} (log)", "6-month trend {v:+.2f} (log)"),
    "trend_13w": ("últimas 13 semanas {v:+.2f} (log)", "last 13 weeks {v:+.2f} (log)"),
    "orders_90d": ("{v:.0f} pedidos en 90 días", "{v:.0f} orders in 90 days"),
    "family_overdue_max": (
        "una familia lleva {v:.1f} veces su intervalo sin comprarse",
        "one family {v:.1f} times its usual gap without a purchase",
    ),
    "family_overdue_mean": (
        "familias, de media, {v:.1f} veces su intervalo",
        "families on average {v:.1f} times their usual gap",
    ),
    "families_silent": (
        "{v:.0%} de las familias en silencio",
        "{v:.0%} of the families silent",
    ),
    "tenure_days": ("cliente desde hace {v:.0f} días", "a client for {v:.0f} days"),
    "sentiment_180d": (
        "tono medio de sus notas de visita {v:+.2f} (de -1 a +1)",
        "mean tone of its visit notes {v:+.2f} (-1 to +1)",
    ),
    "complaints_90d": ("{v:.0f} quejas en 90 días", "{v:.0f} complaints in 90 days"),
    "nps_last": ("última respuesta NPS {v:.0f} de 10", "latest NPS answer {v:.0f} of 10"),
    "campaign_response": (
        "compró más en el {v:.0%} de sus campañas",
        "bought more in {v:.0%} of its campaigns",
    ),
}


#: feature -> (Spanish, English) phrase when the client has no value for it (NaN).
REASONS_MISSING = {
    "nps_last": ("sin respuesta NPS en 12 meses", "no NPS answer in 12 months"),
}


def reason_text(name, value, language=None):
    language = (language or translation.get_language() or "es")[:2]
    if name in REASONS_MISSING and (value is None or value != value):  # NaN
        es, en = REASONS_MISSING[name]
        return es if language == "es" else en
    es, en = REASONS.get(name, (name + " {v}", name + " {v}"))
    text = es if language == "es" else en
    try:
        out = text.format(v=value)
    except (TypeError, ValueError):
        return name
    if language == "es":  # 1,234.5 -> 1.234,5
        out = out.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return out


def churn_risk(evidence, language):
    p = float(evidence.get("p_churn", 0))
    reasons = [reason_text(n, v, language) for n, v, *_ in evidence.get("reasons", [])]
    value = evidence.get("value_12m", 0)
    if language == "es":
        text = (
            f"La probabilidad estimada de que este cliente no haga ningún pedido en los próximos "
            f"90 días es del {p:.0%}".replace("%", " %")
            + f" (nivel alto). En los últimos 12 meses compró {value:,.0f} €".replace(",", ".")
            + ". Es compatible con que el cliente se esté yendo, no lo prueba."
        )
        if reasons:
            text += " Lo que más pesa: " + "; ".join(reasons) + "."
        return text
    text = (
        f"The estimated probability that this client places no order at all in the next 90 "
        f"days is {p:.0%} (high tier). It bought €{value:,.0f} in the last 12 months. This is "
        "compatible with the client leaving; it does not prove it."
    )
    if reasons:
        text += " What weighs most: " + "; ".join(reasons) + "."
    return text


def tier_label(code):
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low")}.get(code, code)
