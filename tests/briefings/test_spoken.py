"""The brief's words: numbers said as a person says them, in Spanish and English."""

import pytest

from briefings import script, spoken


@pytest.mark.parametrize(
    "amount, es, en",
    [
        (3214, "unos tres mil euros", "about three thousand euros"),
        (2380, "unos dos mil quinientos euros", "about two thousand five hundred euros"),
        (12400, "unos doce mil euros", "about twelve thousand euros"),
        (1840, "unos mil ochocientos euros", "about one thousand eight hundred euros"),
        (47, "unos cincuenta euros", "about fifty euros"),
        (500, "quinientos euros", "five hundred euros"),
        (1, "un euro", "one euro"),
        (21000, "unos veinte mil euros", "about twenty thousand euros"),
        (1_000_000, "un millón de euros", "one million euros"),
        (
            1_480_000,
            "cerca de un millón quinientos mil euros",
            "about one million five hundred thousand euros",
        ),
    ],
)
def test_euros_are_said_rounded_and_hedged(amount, es, en):
    assert spoken.euros(amount, "es") == es
    assert spoken.euros(amount, "en") == en


@pytest.mark.parametrize(
    "days, es, en",
    [
        (1, "un día", "one day"),
        (10, "diez días", "ten days"),
        (21, "tres semanas", "three weeks"),
        (7 * 21, "unos cinco meses", "five months"),
    ],
)
def test_durations_are_said_in_days_weeks_or_months(days, es, en):
    assert spoken.duration_days(days, "es") == es
    assert spoken.duration_days(days, "en") == en


def test_spanish_agrees_in_gender_and_english_hyphenates():
    assert spoken.duration_weeks(1, "es") == "una semana"
    assert spoken.words(21, "es", feminine=True) == "veintiuna"
    assert spoken.words(201, "es", feminine=True) == "doscientas una"
    assert spoken.words(115, "es") == "ciento quince"
    assert spoken.words(21000, "es") == "veintiún mil"
    assert spoken.words(42, "en") == "forty-two"
    assert spoken.percent(0.42, "es") == "un cuarenta y dos por ciento"
    assert spoken.percent(0.05, "en") == "five percent"


def _items():
    return [
        script.Item(
            client="Clínica Sol",
            kind_label="Stopped buying",
            euros=3214.0,
            subject="Needles",
            facts=(
                script.Fact("euros_at_stake", "Euros at stake", "euros", 3214.0),
                script.Fact("p_value", "Tail p-value", "p", 0.001),
                script.Fact("silence_weeks", "Weeks without buying", "int", 3),
            ),
            back_from_snooze=True,
        ),
        script.Item(client="Dental Mar", kind_label="Deal at risk", euros=850.0),
    ]


def test_the_english_brief_says_each_item_in_order_with_spoken_numbers():
    text = script.compose("Ana", _items(), 12, "en")
    assert text.startswith("Hi, Ana. Your weekly brief: twelve alerts in your queue; here are")
    first, second = text.index("First: Clínica Sol"), text.index("Second: Dental Mar")
    assert first < second
    assert "About three thousand euros at stake." in text
    assert "Weeks without buying: three weeks." in text
    assert "Back from snooze." in text
    # the euros at stake are said once, p-values not at all, digits never
    assert text.count("three thousand") == 1
    assert "p-value" not in text
    assert not any(ch.isdigit() for ch in text)


def test_the_spanish_brief_is_in_spanish():
    items = [
        script.Item(
            client="Clínica Sol",
            kind_label="Dejó de comprar",
            euros=3214.0,
            facts=(script.Fact("silence_weeks", "Semanas sin comprar", "int", 3),),
        )
    ]
    text = script.compose("Ana", items, 1, "es")
    assert text.startswith("Hola, Ana. Tu resumen de la semana: tienes un aviso en la cola.")
    assert "Primero: Clínica Sol. Dejó de comprar. Unos tres mil euros en juego." in text
    assert "Semanas sin comprar: tres semanas." in text
    assert text.endswith("Buena semana.")


def test_an_empty_queue_gets_a_short_brief():
    assert "no alerts waiting" in script.compose("Ben", [], 0, "en")
    assert "No tienes avisos pendientes" in script.compose("Ben", [], 0, "es")
