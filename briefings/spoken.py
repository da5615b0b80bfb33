"""Numbers said the way a person says them, in Spanish and English (pure: no Django).

``euros(3214, "es")`` -> ``"unos tres mil euros"``; ``duration_days(21, "en")`` ->
``"three weeks"``; ``count(5, "avisos", "es")`` -> ``"cinco avisos"``. Amounts are rounded to
what one says aloud (one or two significant figures) and hedged ("unos", "about") when the
rounding changed them; exact round amounts are said as they are.
"""

import math

_ES_UNITS = (
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
    "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve"
).split()
_ES_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta"}
_ES_TENS.update({8: "ochenta", 9: "noventa"})
_ES_HUNDREDS = {
    1: "ciento",
    2: "doscientos",
    3: "trescientos",
    4: "cuatrocientos",
    5: "quinientos",
    6: "seiscientos",
    7: "setecientos",
    8: "ochocientos",
    9: "novecientos",
}
_EN_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy"}
_EN_TENS.update({8: "eighty", 9: "ninety"})


def lang_of(language):
    """``"es"`` or ``"en"`` from a language code such as ``"es-ES"`` or ``"en"``."""
    return "es" if (language or "es").lower().startswith("es") else "en"


def _es_under_100(n, feminine):
    if n < 30:
        word = _ES_UNITS[n]
    else:
        tens, unit = divmod(n, 10)
        word = _ES_TENS[tens] + (f" y {_ES_UNITS[unit]}" if unit else "")
    if word.endswith("uno"):  # before a noun: "un euro", "veintiún euros", "una semana"
        word = word[:-3] + ("una" if feminine else ("ún" if n == 21 else "un"))
    return word


def _es_under_1000(n, feminine):
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        word = "cien" if n == 100 else _ES_HUNDREDS[hundreds]
        if feminine and hundreds > 1:
            word = word.replace("ientos", "ientas")
        parts.append(word)
    if rest:
        parts.append(_es_under_100(rest, feminine))
    return " ".join(parts)


def _es_words(n, feminine=False):
    if n == 0:
        return "cero"
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    parts = []
    if millions:
        parts.append(
            "un millón" if millions == 1 else f"{_es_under_1000(millions, False)} millones"
        )
    if thousands:
        parts.append("mil" if thousands == 1 else f"{_es_under_1000(thousands, feminine)} mil")
    if units:
        parts.append(_es_under_1000(units, feminine))
    return " ".join(parts)


def _en_under_1000(n):
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(f"{_EN_UNITS[hundreds]} hundred")
    if rest:
        if rest < 20:
            parts.append(_EN_UNITS[rest])
        else:
            tens, unit = divmod(rest, 10)
            parts.append(_EN_TENS[tens] + (f"-{_EN_UNITS[unit]}" if unit else ""))
    return " ".join(parts)


def _en_words(n):
    if n == 0:
        return "zero"
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    parts = []
    if millions:
        parts.append(f"{_en_under_1000(millions)} million")
    if thousands:
        parts.append(f"{_en_under_1000(thousands)} thousand")
    if units:
        parts.append(_en_under_1000(units))
    return " ".join(parts)


def words(n, language="es", feminine=False):
    """The integer ``n`` in words (``feminine`` agrees Spanish "una", "doscientas")."""
    n = int(n)
    if n < 0:
        return ("menos " if lang_of(language) == "es" else "minus ") + words(-n, language, feminine)
    if n >= 1_000_000_000:
        return str(n)
    return _es_words(n, feminine) if lang_of(language) == "es" else _en_words(n)


def round_spoken(value):
    """``value`` rounded as one says it: 3,214 -> 3,000; 2,380 -> 2,500; 47 -> 50.

    One significant figure from a leading 3 up (3,214 -> 3,000), half steps from a leading 2
    (2,380 -> 2,500), two figures from a leading 1 (12,400 -> 12,000; 1,460 -> 1,500);
    never finer than tens; amounts under 20 are kept whole.
    """
    value = abs(float(value))
    if value < 20:
        return int(round(value))
    magnitude = 10 ** math.floor(math.log10(value))
    lead = value / magnitude
    step = magnitude / 10 if lead < 2 else (magnitude / 2 if lead < 3 else magnitude)
    step = max(step, 10)
    return int(math.floor(value / step + 0.5) * step)


def euros(amount, language="es"):
    """``"unos tres mil euros"`` / ``"about three thousand euros"`` for 3,214."""
    lang = lang_of(language)
    rounded = round_spoken(amount)
    exact = abs(float(amount) - rounded) < 0.5
    if lang == "es":
        if rounded >= 1_000_000 and rounded % 1_000_000 == 0:
            said = f"{words(rounded, 'es')} de euros"  # "un millón de euros"
        else:
            said = f"{words(rounded, 'es')} {'euro' if rounded == 1 else 'euros'}"
        if exact:
            return said
        return f"cerca de {said}" if said.startswith("un ") else f"unos {said}"
    said = f"{words(rounded, 'en')} {'euro' if rounded == 1 else 'euros'}"
    return said if exact else f"about {said}"


_UNITS = {
    "es": {"day": ("día", "días", False), "week": ("semana", "semanas", True)},
    "en": {"day": ("day", "days", False), "week": ("week", "weeks", False)},
}
_UNITS["es"]["month"] = ("mes", "meses", False)
_UNITS["en"]["month"] = ("month", "months", False)


def _unit(n, unit, lang):
    one, many, feminine = _UNITS[lang][unit]
    return f"{words(n, lang, feminine)} {one if n == 1 else many}"


def duration_days(days, language="es"):
    """A span of ``days`` as said: under two weeks in days (but 7 is "a week"), under two
    months in weeks (``21`` -> ``"tres semanas"``), then in months (``"unos tres meses"``)."""
    lang = lang_of(language)
    days = max(int(round(float(days))), 0)
    if days < 14 and days != 7:
        return _unit(days, "day", lang)
    if days < 60:
        return _unit(int(round(days / 7)), "week", lang)
    months = int(round(days / 30.4))
    said = _unit(months, "month", lang)
    return said if lang == "en" else f"unos {said}"


def duration_weeks(weeks, language="es"):
    """A span counted in weeks: ``3`` -> ``"three weeks"``; long spans in months."""
    return duration_days(float(weeks) * 7, language)


def percent(share, language="es"):
    """A share (0.42) as ``"un cuarenta y dos por ciento"`` / ``"forty-two percent"``."""
    n = int(round(float(share) * 100))
    if lang_of(language) == "es":
        return f"un {words(n, 'es')} por ciento"
    return f"{words(n, 'en')} percent"


def count(n, noun_es_en, language="es", feminine=False):
    """``count(5, ("aviso", "avisos", "alert", "alerts"), "es")`` -> ``"cinco avisos"``."""
    one_es, many_es, one_en, many_en = noun_es_en
    if lang_of(language) == "es":
        return f"{words(n, 'es', feminine)} {one_es if n == 1 else many_es}"
    return f"{words(n, 'en')} {one_en if n == 1 else many_en}"


def ordinal(n, language="es"):
    """Ordinal of a rank 1..10 for the brief's items ("primero" / "first")."""
    es = "primero segundo tercero cuarto quinto sexto séptimo octavo noveno décimo".split()
    en = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
    table = es if lang_of(language) == "es" else en
    return table[n - 1] if 1 <= n <= len(table) else words(n, language)
