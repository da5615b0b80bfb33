"""Cross-sell reasons and narratives in words, Spanish and English, from stored evidence only.

A reason is ``{"code": ..., numbers..., "family_name": ...}`` as the run stores it (see
``stats.reasons``); :func:`reason_text` turns one into a short phrase ("buys Anaesthesia
every week", "62% of the clients who buy Anaesthesia also buy Biomaterials", "a stated
potential of €4,000 a year not yet bought"). Hedged: a propensity, never a promise.
"""


def _lang(language):
    return "es" if (language or "es").lower().startswith("es") else "en"


def _number(value, lang, digits=0):
    text = f"{float(value):,.{digits}f}"
    if lang == "es":
        text = text.replace(",", "X").replace(".", ",").replace("X", ".")
    return text


def fmt_euros(value, language="es"):
    lang = _lang(language)
    amount = _number(round(float(value or 0)), lang)
    return f"{amount} €" if lang == "es" else f"€{amount}"


def fmt_percent(share, language="es"):
    lang = _lang(language)
    n = _number(100 * float(share or 0), lang)
    return f"{n} %" if lang == "es" else f"{n}%"


def _often(weeks_per_year, lang):
    w = int(weeks_per_year or 0)
    if w >= 40:
        return "cada semana" if lang == "es" else "every week"
    if w >= 20:
        return "cada dos semanas" if lang == "es" else "every other week"
    if w >= 10:
        return "cada mes" if lang == "es" else "every month"
    return (
        (f"{w} veces al año" if lang == "es" else f"{w} times a year")
        if w > 1
        else ("alguna vez" if lang == "es" else "now and then")
    )


def reason_text(reason, family_name, language="es"):
    """One reason as a phrase in ``language``; empty for an unknown code."""
    lang = _lang(language)
    code = reason.get("code")
    other = reason.get("family_name") or ("otra familia" if lang == "es" else "another family")
    fam = family_name or ("esta familia" if lang == "es" else "this family")
    es = lang == "es"
    if code == "similar_clients":
        share = fmt_percent(reason.get("share"), lang)
        return (
            f"el {share} de los clientes que compran {other} también compran {fam}"
            if es
            else f"{share} of the clients who buy {other} also buy {fam}"
        )
    if code == "buys_family":
        often = _often(reason.get("weeks_per_year"), lang)
        return f"compra {other} {often}" if es else f"buys {other} {often}"
    if code == "potential":
        euros = fmt_euros(reason.get("euros"), lang)
        return (
            f"tiene un potencial declarado de {euros} al año en {fam} que aún no compra"
            if es
            else f"a stated potential of {euros} a year in {fam}, not bought yet"
        )
    if code == "active_client":
        euros = fmt_euros(reason.get("euros_year"), lang)
        return (
            f"es un cliente activo: {euros} comprados en el último año"
            if es
            else f"an active client: {euros} bought in the last year"
        )
    if code == "same_line":
        n = int(reason.get("families") or 0)
        return (
            f"ya compra {n} familias, alguna de la misma línea"
            if es
            else f"already buys {n} families, some of the same line"
        )
    if code == "campaigns":
        n = int(reason.get("count") or 0)
        return f"respondió a {n} campañas anteriores" if es else f"responded to {n} past campaigns"
    if code == "bought_before":
        return f"ya compró {fam} en el pasado" if es else f"bought {fam} in the past"
    if code == "popular":
        share = fmt_percent(reason.get("share"), lang)
        return (
            f"{fam} la compra el {share} de los clientes activos"
            if es
            else f"{share} of active clients buy {fam}"
        )
    return ""


def reasons_text(reasons, family_name, language="es"):
    """The reasons as one phrase list (strongest first), unknown codes left out."""
    return [t for t in (reason_text(r, family_name, language) for r in reasons or ()) if t]


def render(evidence, language="es"):
    """The narrative of a ``cross_sell`` alert.

    Evidence written by the propensity model holds ``probability``, ``reasons`` and possibly a
    ``bundle``; an older alert raised by the co-occurrence rule holds only the share of similar
    clients (``probability``) and maybe ``potential_euros``, and is told as such."""
    lang = _lang(language)
    es = lang == "es"
    fam = evidence.get("family_name") or ("esta familia" if es else "this family")
    p = evidence.get("probability")
    if "model_version" not in evidence:
        share = fmt_percent(p, lang)
        return (
            f"Nunca ha comprado {fam}, mientras que el {share} de los clientes que compran sus "
            "mismas familias sí la compran. Es una oportunidad de venta cruzada."
            if es
            else f"The client has never bought {fam}, while {share} of the clients buying the "
            "same families as it do. This is a cross-sell opportunity."
        )
    out = [
        f"Probabilidad estimada de que empiece a comprar {fam} en las próximas "
        f"{evidence.get('horizon_weeks', 26)} semanas: {fmt_percent(p, lang)}."
        if es
        else f"Estimated probability that it starts buying {fam} in the next "
        f"{evidence.get('horizon_weeks', 26)} weeks: {fmt_percent(p, lang)}."
    ]
    why = reasons_text(evidence.get("reasons"), fam, lang)
    if why:
        joined = "; ".join(why)
        out.append(("Por qué: " if es else "Why: ") + joined + ".")
    value = evidence.get("expected_value")
    if value:
        source = evidence.get("value_source")
        origin = (
            ("según su potencial" if es else "from its potential")
            if source == "potential"
            else ("según clientes similares" if es else "from similar clients")
        )
        out.append(
            f"Valor esperado el primer año si compra: {fmt_euros(value, lang)} ({origin})."
            if es
            else f"Expected first-year value if it buys: {fmt_euros(value, lang)} ({origin})."
        )
    bundle = evidence.get("bundle")
    if bundle:
        other = bundle.get("family_name", "")
        out.append(
            f"{fam} y {other} suelen comprarse juntas: conviene ofrecerlas como paquete."
            if es
            else f"{fam} and {other} are usually bought together: offer them as a bundle."
        )
    out.append(
        "Es una estimación del modelo, no una certeza."
        if es
        else "This is the model's estimate, not a certainty."
    )
    return " ".join(out)
