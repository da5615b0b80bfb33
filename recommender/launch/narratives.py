"""Why this client and why this product: the early-adopter alert's text in Spanish and English,
rendered from its stored evidence only, hedged ("looks like", "an estimate"). No Django."""


def _lang(language):
    return "es" if (language or "es").lower().startswith("es") else "en"


def euros(value, language="es"):
    text = f"{float(value):,.0f}"
    if _lang(language) == "es":
        text = text.replace(",", "\xa0")
    return f"{text}\xa0€"


def pct(value):
    """Whole per cent, truncated like the pages' ``percent`` filter (0.747 -> 74 %)."""
    return f"{int(100 * float(value) + 1e-9)}\xa0%"


def num(value, language="es", decimals=1):
    text = f"{float(value):.{decimals}f}"
    return text.replace(".", ",") if _lang(language) == "es" else text


RULES = {
    "repeat": (
        "compró {value} de los {of} últimos lanzamientos en sus primeras {weeks} semanas",
        "bought {value} of the last {of} launches within their first {weeks} weeks",
    ),
    "fast": (
        "suele comprar las novedades pronto (mediana {value} semanas tras el lanzamiento)",
        "usually buys new products early (median {value} weeks after launch)",
    ),
    "broad": (
        "compra {value} familias distintas en el último año",
        "buys {value} different families in the last year",
    ),
    "spend": (
        "está entre los clientes de mayor compra ({value} en el último año)",
        "is among the biggest buyers ({value} in the last year)",
    ),
}


def rule_text(rule, language="es", weeks=12):
    """One fired rule (``{"rule", "value", ...}``) in words."""
    i = 0 if _lang(language) == "es" else 1
    template = RULES.get(rule.get("rule"))
    if template is None:
        return str(rule.get("rule", ""))
    values = {**rule, "weeks": weeks}
    if rule.get("rule") == "spend":
        values["value"] = euros(rule.get("value", 0), language)
    elif rule.get("rule") == "fast":
        values["value"] = num(rule.get("value", 0), language)
    return template[i].format(**values)


def early_adopter(evidence, language="es"):
    """The narrative of a ``launch_early_adopter`` alert."""
    lang = _lang(language)
    ev = evidence or {}
    product = ev.get("product_name") or ev.get("product_code") or "?"
    weeks = int(ev.get("window_weeks") or 12)
    rules = [rule_text(r, lang, weeks) for r in ev.get("rules") or []]
    look = float(ev.get("lookalike") or 0)
    look_t = num(look, lang, 2)
    app = float(ev.get("appetence") or 0)
    p = float(ev.get("combined") or 0)
    value = ev.get("expected_value")
    band = ev.get("band") or ""
    band_rate = ev.get("band_conversion")
    family = ev.get("family_name") or ""
    near = ev.get("nearest_bought") or ""
    if lang == "es":
        parts = [
            f"Posible cliente pionero para {product} (lanzamiento «{ev.get('launch_name', '')}»)."
        ]
        if rules:
            parts.append("Por qué este cliente: " + "; ".join(rules) + ".")
        else:
            parts.append("Por qué este cliente: ninguna regla de pionero se cumple.")
        parts.append(
            f"Se parece a los clientes que compraron novedades antes (parecido {look_t})."
            if look >= 0.5
            else f"Se parece poco a los pioneros anteriores (parecido {look_t})."
        )
        why = f"Por qué este producto: es cercano a lo que ya compra (afinidad {num(app, lang, 2)}"
        why += f"; familia {family}" if family else ""
        why += f"; lo más parecido que compra: {near}" if near else ""
        parts.append(why + ").")
        if band and band_rate is not None:
            parts.append(
                f"En lanzamientos anteriores, los clientes de la banda {band} compraron en "
                f"{pct(band_rate)} de los casos."
            )
        est = f"Probabilidad estimada de compra en {weeks} semanas: {pct(p)}"
        if value is not None:
            est += f"; valor esperado del primer trimestre: {euros(value, lang)}"
        parts.append(est + " (una estimación, no una certeza).")
        alternatives = ev.get("alternatives") or []
        if alternatives:
            parts.append(
                "Otras novedades del lanzamiento, por cercanía: "
                + ", ".join(f"{a['name']} ({num(a['appetence'], lang, 2)})" for a in alternatives)
                + "."
            )
        return " ".join(parts)
    parts = [f"Possible early adopter for {product} (launch “{ev.get('launch_name', '')}”)."]
    if rules:
        parts.append("Why this client: " + "; ".join(rules) + ".")
    else:
        parts.append("Why this client: no early-adopter rule fires.")
    parts.append(
        f"Looks like the clients who bought new products before (lookalike {look_t})."
        if look >= 0.5
        else f"Looks little like past early adopters (lookalike {look_t})."
    )
    why = "Why this product: it is close to what the client already buys"
    why += f" (appetence {num(app, lang, 2)}"
    why += f"; family {family}" if family else ""
    why += f"; nearest product bought: {near}" if near else ""
    parts.append(why + ").")
    if band and band_rate is not None:
        parts.append(
            f"In past launches, clients in band {band} bought in {pct(band_rate)} of cases."
        )
    est = f"Estimated chance of buying within {weeks} weeks: {pct(p)}"
    if value is not None:
        est += f"; expected first-quarter value: {euros(value, lang)}"
    parts.append(est + " (an estimate, not a certainty).")
    alternatives = ev.get("alternatives") or []
    if alternatives:
        parts.append(
            "Other products of the launch, nearest first: "
            + ", ".join(f"{a['name']} ({num(a['appetence'], lang, 2)})" for a in alternatives)
            + "."
        )
    return " ".join(parts)
