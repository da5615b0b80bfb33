"""Plain-language texts of the detractor alert, from its evidence, in Spanish or English.

Hedged: a low score or a complaint followed by fewer orders is "compatible with" a client at
risk, never proof that the client is leaving. No Django import.
"""

THEME_LABELS = {
    "late_delivery": ("entregas tardías", "late deliveries"),
    "delivery_error": ("errores o daños en la entrega", "wrong or damaged deliveries"),
    "price": ("precio", "price"),
    "stock_out": ("roturas de stock", "stock-outs"),
    "defective": ("producto defectuoso", "defective product"),
    "rude_service": ("trato o atención", "rude or absent service"),
    "billing": ("facturación", "billing"),
    "other": ("otros motivos", "other reasons"),
}
SOURCE = {"survey": ("la encuesta", "the survey"), "note": ("una nota de visita", "a visit note")}


def _i(language):
    return 0 if (language or "es").lower().startswith("es") else 1


def euros(value, language="es"):
    text = f"{float(value or 0):,.0f}"
    if _i(language) == 0:
        return text.replace(",", "\xa0") + "\xa0€"  # as the pages' Spanish format
    return f"€{text}"  # as the pages' English format


def theme_label(code, language="es"):
    pair = THEME_LABELS.get(code)
    return pair[_i(language)] if pair else str(code)


def themes_text(codes, language="es"):
    labels = [theme_label(c, language) for c in codes or ()]
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    joiner = " y " if _i(language) == 0 else " and "
    return ", ".join(labels[:-1]) + joiner + labels[-1]


def _date(value, language):
    text = str(value or "")
    if len(text) == 10 and text[4] == "-":
        y, m, d = text.split("-")
        return f"{int(d)}/{int(m)}/{y}" if _i(language) == 0 else text
    return text


def detractor(evidence, language="es"):
    """The narrative of a detractor alert."""
    es = _i(language) == 0
    e = evidence or {}
    parts = []
    quote = (e.get("quote") or "").strip()
    when = _date(e.get("survey_date"), language)
    triggers = e.get("triggers") or ()
    if "detractor" in triggers:
        if e.get("nps_predicted") or e.get("nps") is None:
            how = (
                "sin puntuación NPS, con un comentario como los de los detractores"
                if es
                else "without an NPS score, with a comment like those of detractors"
            )
        else:
            how = (
                f"con un NPS de {e['nps']} sobre 10 (detractor)"
                if es
                else f"with an NPS of {e['nps']} out of 10 (a detractor)"
            )
        parts.append(
            f"El cliente respondió a la encuesta del {when} {how}."
            if es
            else f"The client answered the survey of {when} {how}."
        )
    if quote:
        end = "" if quote[-1] in ".!?…" else "."
        said = f"«{quote}{end}»" if es else f'"{quote}{end}"'
        same = "detractor" in triggers and e.get("quote_date") == e.get("survey_date")
        if same:
            parts.append(f"Escribió: {said}" if es else f"They wrote: {said}")
        else:
            source = SOURCE.get(e.get("quote_source"), SOURCE["survey"])[_i(language)]
            on = _date(e.get("quote_date"), language)
            parts.append(
                f"En {source} del {on} se lee: {said}" if es else f"In {source} of {on}: {said}"
            )
    if e.get("themes"):
        t = themes_text(e["themes"], language)
        parts.append(f"Temas de queja: {t}." if es else f"Complaint themes: {t}.")
    if "complaint_falling" in triggers and e.get("orders_change") is not None:
        drop = abs(round(100 * float(e["orders_change"])))
        parts.append(
            f"Desde la queja, sus compras van un {drop} % por debajo de su ritmo del año "
            "anterior: compatible con que la queja pese en sus pedidos, no una prueba de ello."
            if es
            else f"Since the complaint, its purchases run {drop} % below its pace of the year "
            "before: compatible with the complaint weighing on its orders, not proof of it."
        )
    if e.get("revenue_12m") is not None:
        revenue = euros(e["revenue_12m"], language)
        stake = euros(e.get("at_stake"), language)
        parts.append(
            f"Compró {revenue} en los últimos 12 meses; en juego, unos {stake}."
            if es
            else f"It bought {revenue} in the last 12 months; about {stake} are at stake."
        )
    manager = e.get("manager")
    if manager:
        parts.append(
            f"Avisado también a {manager} (responsable)."
            if es
            else f"Also flagged to {manager} (manager)."
        )
    if not parts:
        return "Cliente insatisfecho." if es else "Unhappy client."
    return " ".join(parts)
