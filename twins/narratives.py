"""Plain-language narratives rendered from an alert's structured evidence (no Django).

They state what the data shows and what it is compatible with; they never assert a cause.
"""

import math

LANGUAGES = ("es", "en")

LABELS = {
    "partial_churn": ("Posible fuga parcial", "Possible partial churn"),
    "full_churn": ("Ha dejado de comprar", "Stopped buying"),
    "technical_deterioration": ("Deterioro en familia técnica", "Technical deterioration"),
    "suspicious_pause": ("Pausa sospechosa", "Suspicious pause"),
    "uncaptured_potential": ("Potencial sin capturar", "Uncaptured potential"),
    "cross_family_decline": ("Varias familias a la baja", "Several families falling"),
    "campaign_no_response": ("Sin respuesta a la campaña", "No response to campaign"),
    "cross_sell": ("Oportunidad de venta cruzada", "Cross-sell opportunity"),
}


def kind_label(kind: str, language: str = "es") -> str:
    """Short human label of an alert kind."""
    es, en = LABELS.get(kind, (kind, kind))
    return es if _lang(language) == "es" else en


def _lang(language):
    return "es" if (language or "es").lower().startswith("es") else "en"


def fmt_number(value, language: str = "es", decimals: int = 1) -> str:
    """``1234.5`` -> ``1.234,5`` (es) or ``1,234.5`` (en); trailing ``,0``/``.0`` dropped."""
    if value is None:
        return "—"
    text = f"{float(value):,.{decimals}f}"
    if decimals and text.endswith("." + "0" * decimals):
        text = text[: -(decimals + 1)]
    if _lang(language) == "es":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def fmt_euros(value, language: str = "es") -> str:
    amount = fmt_number(round(float(value or 0)), language, 0)
    return f"{amount} €" if _lang(language) == "es" else f"€{amount}"


def fmt_percent(share, language: str = "es") -> str:
    n = fmt_number(100 * float(share or 0), language, 0)
    return f"{n} %" if _lang(language) == "es" else f"{n}%"


def fmt_probability(p, language: str = "es") -> str:
    """A probability as a percentage, never claiming certainty (``> 99 %``, ``< 1 %``)."""
    p = float(p or 0)
    if p > 0.99:
        return "> " + fmt_percent(0.99, language)
    if p < 0.01:
        return "< " + fmt_percent(0.01, language)
    return fmt_percent(p, language)


def fmt_chance(p_value, language: str = "es") -> str:
    """A tail p-value in words: "1 vez de cada 1.000" / "1 time in 1,000"."""
    p = max(float(p_value), 1e-9)
    n = 10 ** int(math.floor(math.log10(1 / p))) if p < 1 else 1
    for step in (5, 2):
        if 1 / p >= step * n:
            n *= step
            break
    n = fmt_number(n, language, 0)
    return f"1 vez de cada {n}" if _lang(language) == "es" else f"1 time in {n}"


def render_narrative(kind: str, evidence: dict, language: str = "es") -> str:
    """Narrative of one alert in Spanish (``"es"``) or English (``"en"``)."""
    lang = _lang(language)
    ev = dict(evidence or {})
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return kind_label(kind, lang)
    parts = renderer(ev, lang)
    stake = ev.get("euros_at_stake")
    if stake:
        weeks = ev.get("horizon_weeks") or 8
        parts.append(
            f"Importe en juego estimado: {fmt_euros(stake, lang)} en las próximas {weeks} semanas."
            if lang == "es"
            else f"Estimated amount at stake: {fmt_euros(stake, lang)} over the next {weeks} weeks."
        )
    return " ".join(p for p in parts if p)


def _n(ev, key, lang, decimals=1):
    return fmt_number(ev.get(key), lang, decimals)


def _family(ev, lang):
    name = ev.get("family_name")
    if not name:
        return "esta familia" if lang == "es" else "this family"
    return name


def _partial(ev, lang):
    fam = _family(ev, lang)
    w, obs, exp = (
        ev.get("window_weeks"),
        _n(ev, "observed_units", lang),
        _n(ev, "expected_units", lang),
    )
    drop = fmt_percent(ev.get("magnitude"), lang)
    chance = fmt_chance(ev.get("p_value") or 1.0, lang)
    rec = _n(ev, "recovery_threshold_units_per_week", lang)
    if lang == "es":
        return [
            f"En las últimas {w} semanas ha comprado {obs} unidades de {fam}, cuando su patrón "
            f"habitual (ya ajustado por estacionalidad y sin contar semanas de campaña) hacía "
            f"esperar unas {exp}: un {drop} menos.",
            f"Una caída así ocurriría por azar menos de {chance}: es compatible con una fuga "
            f"parcial, no con una simple semana floja.",
            f"Volver a unas {rec} unidades por semana lo devolvería a su banda normal.",
        ]
    return [
        f"Over the last {w} weeks the client bought {obs} units of {fam}, where its usual "
        f"pattern (seasonally adjusted, campaign weeks left out) led us to expect about {exp}: "
        f"{drop} less.",
        f"A drop like this would happen by chance less than {chance}: it is compatible with "
        f"partial churn, not just a slow week.",
        f"Getting back to about {rec} units a week would put it inside its normal band again.",
    ]


def _full(ev, lang):
    fam = _family(ev, lang)
    active = fmt_probability(ev.get("p_active"), lang)
    if ev.get("family_kind") == "technical":
        days = ev.get("current_silence_days")
        gap = _n(ev, "median_gap_days", lang, 0)
        if lang == "es":
            return [
                f"No compra {fam} desde hace {days} días, cuando suele hacerlo cada {gap} días.",
                f"Es compatible con que haya dejado de comprarla: la probabilidad de que siga "
                f"activo en esta familia se estima en {active}.",
            ]
        return [
            f"No purchase of {fam} for {days} days, where the client usually buys every {gap} "
            f"days.",
            f"This is compatible with the client having stopped buying it: the probability that "
            f"it is still active in this family is estimated at {active}.",
        ]
    weeks = ev.get("silence_weeks")
    rate = _n(ev, "expected_units_per_week", lang)
    if lang == "es":
        return [
            f"Lleva {weeks} semanas sin comprar {fam}, cuando lo habitual son unas {rate} "
            f"unidades por semana.",
            f"Es compatible con que haya dejado de comprar esta familia: la probabilidad de que "
            f"siga activo se estima en {active}.",
        ]
    return [
        f"No purchase of {fam} for {weeks} weeks, where about {rate} units a week is usual.",
        f"This is compatible with the client having stopped buying this family: the "
        f"probability that it is still active is estimated at {active}.",
    ]


def _technical(ev, lang, pause):
    fam = _family(ev, lang)
    days, last = ev.get("current_silence_days"), ev.get("last_purchase")
    gap = _n(ev, "median_gap_days", lang, 0)
    p75, p90 = _n(ev, "p75_gap_days", lang, 0), _n(ev, "p90_gap_days", lang, 0)
    trend = ev.get("gap_trend") or 1.0
    beyond90 = (days or 0) > (ev.get("p90_gap_days") or 0)
    # Older evidence (and batches without order dates) name the week of the last purchase.
    week = ev.get("last_purchase_is_week", True)
    if lang == "es":
        when = f"semana del {last}" if week else f"el {last}"
        out = [
            f"Última compra de {fam}: {when}; han pasado {days} días, cuando suele "
            f"comprar cada {gap} días."
        ]
        if beyond90:
            out.append(f"Solo 1 de cada 10 de sus intervalos supera {p90} días.")
        else:
            out.append(
                f"Es más que 3 de cada 4 de sus intervalos ({p75} días), aunque todavía "
                f"dentro de lo que ocurre 1 de cada 10 veces ({p90} días)."
            )
        if trend > 1.05:
            out.append(
                f"Sus últimos intervalos se han alargado ({fmt_number(trend, lang, 1)} "
                f"veces los anteriores)."
            )
        out.append(
            "Compatible con una pausa que conviene vigilar."
            if pause
            else "Compatible con un deterioro de la relación en esta familia."
        )
        return out
    when = f"week of {last}" if week else f"on {last}"
    out = [
        f"Last purchase of {fam}: {when}; {days} days have passed, where the client "
        f"usually buys every {gap} days."
    ]
    if beyond90:
        out.append(f"Only 1 in 10 of its gaps is longer than {p90} days.")
    else:
        out.append(
            f"That is longer than 3 in 4 of its gaps ({p75} days), though still within "
            f"what happens 1 time in 10 ({p90} days)."
        )
    if trend > 1.05:
        out.append(
            f"Its recent gaps have lengthened ({fmt_number(trend, lang, 1)} times the "
            f"earlier ones)."
        )
    out.append(
        "Compatible with a pause worth watching."
        if pause
        else "Compatible with a deteriorating relationship in this family."
    )
    return out


def _uncaptured(ev, lang):
    fam = _family(ev, lang)
    bought, pot = (
        fmt_euros(ev.get("purchases_52w_euros"), lang),
        fmt_euros(ev.get("potential_euros"), lang),
    )
    share = fmt_percent(ev.get("share_of_wallet"), lang)
    if lang == "es":
        return [
            f"En los últimos 12 meses ha comprado {bought} de {fam}, frente a un potencial "
            f"estimado de {pot} al año (cuota del {share}).",
            "Indica margen para crecer, siempre que el potencial registrado sea correcto.",
        ]
    return [
        f"Over the last 12 months the client bought {bought} of {fam}, against an estimated "
        f"potential of {pot} a year (share of wallet {share}).",
        "This points to room to grow, provided the recorded potential is right.",
    ]


def _cross_family(ev, lang):
    n, m = ev.get("families_falling"), ev.get("families_mature")
    if lang == "es":
        return [
            f"{n} de sus {m} familias habituales compran por debajo de lo esperado a la vez.",
            "Es compatible con un problema de la relación con el cliente más amplio que un "
            "solo producto.",
        ]
    return [
        f"{n} of its {m} regular families are below expectation at the same time.",
        "This is compatible with a relationship issue wider than a single product.",
    ]


def _campaign(ev, lang):
    fam = _family(ev, lang)
    fl, cl = _n(ev, "family_lift", lang, 1), _n(ev, "client_lift", lang, 1)
    if lang == "es":
        return [
            f"En las campañas de {fam} desde que compra la familia, los clientes compraron "
            f"{fl} veces su nivel habitual; este cliente, {cl} veces el suyo.",
            "Las campañas no parecen llegarle o no le resultan atractivas.",
        ]
    return [
        f"During the campaigns on {fam} since it started buying the family, clients bought {fl} "
        f"times their usual level; this client bought {cl} times its own.",
        "The campaigns do not seem to reach it or appeal to it.",
    ]


def _cross_sell(ev, lang):
    fam = _family(ev, lang)
    share = fmt_percent(ev.get("probability"), lang)
    pot = ev.get("potential_euros")
    if lang == "es":
        out = [
            f"Nunca ha comprado {fam}, mientras que el {share} de los clientes que compran "
            f"sus mismas familias sí la compran."
        ]
        if pot:
            out.append(f"Tiene registrado un potencial de {fmt_euros(pot, lang)} al año en ella.")
        out.append("Es una oportunidad de venta cruzada.")
        return out
    out = [
        f"The client has never bought {fam}, while {share} of the clients buying the same "
        f"families as it do."
    ]
    if pot:
        out.append(f"It has a recorded potential of {fmt_euros(pot, lang)} a year in it.")
    out.append("This is a cross-sell opportunity.")
    return out


_RENDERERS = {
    "partial_churn": _partial,
    "full_churn": _full,
    "technical_deterioration": lambda ev, lang: _technical(ev, lang, pause=False),
    "suspicious_pause": lambda ev, lang: _technical(ev, lang, pause=True),
    "uncaptured_potential": _uncaptured,
    "cross_family_decline": _cross_family,
    "campaign_no_response": _campaign,
    "cross_sell": _cross_sell,
}
