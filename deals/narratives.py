"""Plain-language texts of the deal alerts, rendered from their evidence in Spanish or English.

Hedged on purpose: a score is an estimate learnt from closed deals ("looks like past losses"),
never a verdict. No Django import: these run in tasks and pages alike.
"""


def _lang(language):
    return "es" if (language or "es").lower().startswith("es") else "en"


def euros(value, language="es"):
    text = f"{float(value):,.0f}"
    if _lang(language) == "es":
        text = text.replace(",", "\xa0")  # as Django's Spanish number format on the pages
    return f"{text}\xa0€"


def pct(value):
    return f"{100 * float(value):.0f} %"


def _x(value, language="es"):
    text = f"{float(value):.1f}×"
    return text.replace(".", ",") if _lang(language) == "es" else text


DRIVER_TEXT = {
    "amount": ("importe elevado ({ratio} la mediana)", "large amount ({ratio} the median)"),
    "cycle": ("{ratio} el ciclo típico", "{ratio} the typical cycle"),
    "amount_cycle": (
        "importe elevado ({amount_ratio}) con un ciclo largo ({cycle_ratio} el típico)",
        "large amount ({amount_ratio}) on a long cycle ({cycle_ratio} the typical one)",
    ),
    "stalled": ("{days} días en {stage} (P90 {p90})", "{days} days in {stage} (P90 {p90})"),
    "overdue": (
        "{days} días pasado el cierre previsto",
        "{days} days past the expected close",
    ),
    "skipped_qualification": ("se saltó la cualificación", "skipped qualification"),
    "stage": ("aún en {stage}", "still in {stage}"),
    "segment": ("segmento {value}", "segment {value}"),
    "region": ("región {value}", "region {value}"),
    "lead_source": ("origen {value}", "lead source {value}"),
}
PARTNER = ("llevada por un partner", "partner-led")


def driver_text(driver, language="es"):
    """One driver (a dict from :func:`deals.stats.risk.drivers`) in words."""
    i = 0 if _lang(language) == "es" else 1
    code = driver.get("code")
    if code == "lead_source" and driver.get("value") == "partner":
        return PARTNER[i]
    template = DRIVER_TEXT.get(code)
    if template is None:
        return code or ""
    values = dict(driver)
    for key in ("ratio", "amount_ratio", "cycle_ratio"):
        if key in values:
            values[key] = _x(values[key], language)
    try:
        return template[i].format(**values)
    except KeyError:
        return code


def drivers_text(drivers, language="es"):
    parts = [driver_text(d, language) for d in drivers or []]
    if not parts:
        return ""
    joiner = " y " if _lang(language) == "es" else " and "
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + joiner + parts[-1]


def _deal(e, language):
    name = e.get("deal_name") or e.get("external_id") or ""
    return f"«{name}»" if _lang(language) == "es" else f"“{name}”"


def at_risk(e, language="es"):
    es = _lang(language) == "es"
    drivers = drivers_text(e.get("drivers"), language)
    values = {
        "deal": _deal(e, language),
        "amount": euros(e.get("amount", 0), language),
        "p": pct(e.get("p_loss", 0)),
        "base": pct(e.get("base_rate", 0)),
        "stake": euros(e.get("at_stake", 0), language),
    }
    if es:
        text = (
            "La oportunidad {deal} ({amount}) se parece a operaciones perdidas en el pasado: "
            "el modelo estima en torno a un {p} de probabilidad de perderla (la tasa habitual "
            "es {base})."
        ).format(**values)
        if drivers:
            text += f" Lo que más pesa: {drivers}."
        return text + (
            " Hay unos {stake} en juego. Es una estimación a partir de operaciones cerradas, "
            "no una certeza."
        ).format(**values)
    text = (
        "Deal {deal} ({amount}) looks like deals lost in the past: the model puts its chance "
        "of loss at about {p} (the usual rate is {base})."
    ).format(**values)
    if drivers:
        text += f" What weighs most: {drivers}."
    return text + (
        " About {stake} at stake. This is an estimate from closed deals, not a certainty."
    ).format(**values)


def stalled(e, language="es"):
    values = {
        "deal": _deal(e, language),
        "stage": e.get("stage", ""),
        "days": int(e.get("days_in_stage", 0)),
        "p90": int(e.get("stage_p90", 0)),
        "p": pct(e.get("p_loss", 0)),
    }
    in_segment = e.get("p90_scope") == "segment" and e.get("segment")
    if _lang(language) == "es":
        values["peers"] = f" del segmento {e['segment']}" if in_segment else ""
        return (
            "La oportunidad {deal} lleva {days} días en {stage}, más de lo que estuvieron allí "
            "9 de cada 10 operaciones anteriores{peers} (P90: {p90} días). Las operaciones que se "
            "atascan así se perdieron con más frecuencia; puede merecer una revisión. "
            "Probabilidad estimada de perderla: {p}."
        ).format(**values)
    values["peers"] = f" in segment {e['segment']}" if in_segment else ""
    return (
        "Deal {deal} has been in {stage} for {days} days, longer than 9 in 10 past deals{peers} "
        "stayed there (P90: {p90} days). Deals that stall like this were lost more often; it "
        "may be worth a review. Estimated chance of loss: {p}."
    ).format(**values)


def skipped_qualification(e, language="es"):
    values = {
        "deal": _deal(e, language),
        "stage": e.get("stage", ""),
        "skip": pct(e.get("skip_loss_rate", 0)),
        "rest": pct(e.get("rest_loss_rate", 0)),
        "n": int(e.get("skip_n", 0)),
    }
    if _lang(language) == "es":
        text = "La oportunidad {deal} llegó a {stage} sin pasar por la cualificación."
        if values["n"]:
            text += (
                " De las {n} operaciones cerradas que se la saltaron se perdió un {skip}, frente "
                "a un {rest} del resto; conviene confirmar necesidad, presupuesto y decisor."
            )
        return text.format(**values)
    text = "Deal {deal} reached {stage} without going through qualification."
    if values["n"]:
        text += (
            " Of the {n} closed deals that skipped it, {skip} were lost against {rest} of the "
            "rest; confirming need, budget and decision-maker may help."
        )
    return text.format(**values)


# --- Pipeline-level alerts (to a manager) --------------------------------------------------

DIMENSION_TEXT = {
    "segment": ("el segmento", "segment"),
    "region": ("la región", "region"),
    "lead_source": ("el origen", "lead source"),
    "size": ("el tamaño de operación", "deal size"),
    "owner": ("el comercial", "rep"),
}


def dimension_text(dimension, language="es"):
    i = 0 if _lang(language) == "es" else 1
    return DIMENSION_TEXT.get(dimension, (dimension, dimension))[i]


def _p(value, language="es"):
    text = "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"
    return text.replace(".", ",") if _lang(language) == "es" else text


def win_rate_drop(e, language="es"):
    values = {
        "dim": dimension_text(e.get("dimension"), language),
        "seg": e.get("segment", ""),
        "r1": pct(e.get("rate_recent", 0)),
        "n1": int(e.get("n_recent", 0)),
        "r0": pct(e.get("rate_before", 0)),
        "n0": int(e.get("n_before", 0)),
        "p": _p(e.get("p_value", 1), language),
        "tests": int(e.get("n_tests", 1)),
        "days": int(e.get("recent_days", 91)),
        "stake": euros(e.get("at_stake", 0), language),
    }
    if _lang(language) == "es":
        return (
            "En {dim} {seg}, el equipo ganó un {r1} de las {n1} operaciones cerradas en los "
            "últimos {days} días, frente a un {r0} de {n0} antes. Es difícil atribuir una caída "
            "así solo al azar (p = {p}, corregido por los {tests} segmentos comparados), aunque "
            "los datos no dicen por qué ocurre. Con la tasa anterior se habrían ganado unos "
            "{stake} más; puede merecer revisar esas operaciones con el equipo."
        ).format(**values)
    return (
        "In {dim} {seg}, the team won {r1} of the {n1} deals closed in the last {days} days, "
        "against {r0} of {n0} before. A drop like this is unlikely to be chance alone "
        "(p = {p}, corrected for the {tests} segments compared), though the data do not say "
        "why. At the earlier rate about {stake} more would have been won; reviewing those "
        "deals with the team may help."
    ).format(**values)


def late_losses(e, language="es"):
    values = {
        "r1": pct(e.get("rate_recent", 0)),
        "n1": int(e.get("n_recent", 0)),
        "r0": pct(e.get("rate_before", 0)),
        "n0": int(e.get("n_before", 0)),
        "p": _p(e.get("p_value", 1), language),
        "days": int(e.get("recent_days", 91)),
        "lost": euros(e.get("lost_amount_recent", 0), language),
        "stake": euros(e.get("at_stake", 0), language),
    }
    if _lang(language) == "es":
        return (
            "Se pierden más operaciones que ya habían llegado a una fase avanzada: un {r1} de "
            "las {n1} cerradas en los últimos {days} días, frente a un {r0} de {n0} antes "
            "(p = {p}). En ese periodo se perdieron así {lost}; unos {stake} por encima de lo "
            "habitual. Es compatible con un problema de cierre (precio, competencia, decisor), "
            "no una certeza."
        ).format(**values)
    return (
        "More deals are being lost after reaching a late stage: {r1} of the {n1} closed in the "
        "last {days} days, against {r0} of {n0} before (p = {p}). {lost} was lost that way in "
        "the period, about {stake} more than usual. Compatible with a closing problem (price, "
        "competition, decision-maker), not a certainty."
    ).format(**values)


def risk_concentration(e, language="es"):
    values = {
        "share": pct(e.get("share", 0)),
        "high": euros(e.get("amount_high", 0), language),
        "total": euros(e.get("amount", 0), language),
        "n_high": int(e.get("n_high", 0)),
        "n": int(e.get("n", 0)),
        "threshold": pct(e.get("threshold", 0)),
        "stake": euros(e.get("at_stake", 0), language),
        "end": e.get("quarter_end", ""),
    }
    if _lang(language) == "es":
        return (
            "Un {share} del embudo que se espera cerrar hasta el {end} ({high} de {total}) está "
            "en {n_high} de {n} operaciones con una probabilidad estimada de pérdida de al menos "
            "un {threshold}. Si se cumplen las estimaciones, esas operaciones aportarán unos "
            "{stake} menos de lo que suman sus importes: la previsión depende mucho de ellas."
        ).format(**values)
    return (
        "{share} of the pipeline expected to close by {end} ({high} of {total}) sits in "
        "{n_high} of {n} deals with an estimated chance of loss of at least {threshold}. If the "
        "estimates hold, those deals will bring about {stake} less than their amounts add up "
        "to: the forecast leans heavily on them."
    ).format(**values)
