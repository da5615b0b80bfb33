"""The words of the spoken brief (pure: no Django), from the items' structured evidence.

:func:`compose` takes plain :class:`Item` values (labels already in the listener's language)
and returns the transcript that is both read on the page and synthesised: a greeting, how
many alerts wait, then each item in queue order with its euros and at most two facts, every
number said as a person says it (:mod:`briefings.spoken`).
"""

from dataclasses import dataclass, field

from . import spoken

#: Evidence formats a brief can say aloud (p-values and signed changes read badly).
SPOKEN_FORMATS = ("euros", "int", "number", "percent", "text")
#: Facts said per item, at most.
FACTS_PER_ITEM = 2


@dataclass(frozen=True)
class Fact:
    """One evidence value: its key, label (in the listener's language), format and value."""

    key: str
    label: str
    format: str
    value: object


@dataclass(frozen=True)
class Item:
    """One queue item as the brief says it."""

    client: str
    kind_label: str
    euros: float
    subject: str = ""
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    back_from_snooze: bool = False


_ALERTS = ("aviso", "avisos", "alert", "alerts")


def _is_duration(key):
    """``window_weeks``, ``current_silence_days``, ``days_in_stage``: a span of time."""
    return key.endswith(("_weeks", "_days")) or key.startswith(("weeks_", "days_"))


def say_fact(fact, language):
    """``"Semanas sin comprar: tres semanas"``, or ``None`` when it cannot be said."""
    value = fact.value
    if fact.format not in SPOKEN_FORMATS or value is None or value == "":
        return None
    if fact.format == "text":
        return f"{fact.label}: {value}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    if fact.format == "euros":
        said = spoken.euros(number, language)
    elif fact.format == "percent":
        said = spoken.percent(number, language)
    elif _is_duration(fact.key) and "week" in fact.key:
        said = spoken.duration_weeks(number, language)
    elif _is_duration(fact.key):
        said = spoken.duration_days(number, language)
    else:
        said = spoken.words(round(number), language)
    return f"{fact.label}: {said}"


def pick_facts(item, limit=FACTS_PER_ITEM):
    """The first ``limit`` facts that can be said, in the kind's order, leaving out the
    item's own euros at stake (said already)."""
    picked = []
    for fact in item.facts:
        if fact.format == "euros":
            try:
                if abs(float(fact.value) - float(item.euros)) < 1:
                    continue
            except (TypeError, ValueError):
                continue
        if fact.format in SPOKEN_FORMATS:
            picked.append(fact)
    return picked[:limit]


def _item_text(rank, item, language):
    es = spoken.lang_of(language) == "es"
    head = f"{spoken.ordinal(rank, language).capitalize()}: {item.client}."
    what = item.kind_label + (f", {item.subject}" if item.subject else "") + "."
    stake = spoken.euros(item.euros, language)
    stake = (stake[0].upper() + stake[1:]) + (" en juego." if es else " at stake.")
    parts = [head, what, stake]
    if item.back_from_snooze:
        parts.append("Vuelve de un aplazamiento." if es else "Back from snooze.")
    for fact in pick_facts(item):
        said = say_fact(fact, language)
        if said:
            parts.append(said + ".")
    return " ".join(parts)


def compose(name, items, total, language="es"):
    """The transcript of a brief for ``name`` with ``items`` (in queue order) out of
    ``total`` alerts waiting, in ``language``: one line for the greeting, one per item, one
    to close."""
    es = spoken.lang_of(language) == "es"
    greeting = (f"Hola, {name}." if es else f"Hi, {name}.") if name else ("Hola." if es else "Hi.")
    if not items:
        rest = (
            "No tienes avisos pendientes esta semana. Buena semana."
            if es
            else "You have no alerts waiting this week. Have a good week."
        )
        return f"{greeting} {rest}"
    waiting = spoken.count(total, _ALERTS, language)
    top = spoken.words(len(items), language)
    if es:
        intro = f"Tu resumen de la semana: tienes {waiting} en la cola"
        intro += "." if len(items) >= total else f"; estos son los {top} primeros."
        outro = "Los detalles están en tu cola. Buena semana."
    else:
        intro = f"Your weekly brief: {waiting} in your queue"
        intro += "." if len(items) >= total else f"; here are the top {top}."
        outro = "The details are in your queue. Have a good week."
    body = [_item_text(rank, item, language) for rank, item in enumerate(items, 1)]
    return "\n".join([f"{greeting} {intro}", *body, outro])
