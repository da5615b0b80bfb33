"""The pure statistics: sentiment with negation, language, complaints, NPS, and the shipped
evaluation set."""

from pathlib import Path

import pandas as pd
import pytest

from voice.stats import complaints, language, nps, sentiment
from voice.stats.text import MAX_CHARS

DATA = Path(__file__).resolve().parents[2] / "voice" / "data"


@pytest.mark.parametrize(
    "text,label",
    [
        ("No está mal, la verdad.", "pos"),
        ("Not bad at all.", "pos"),
        ("No está bien que tengamos que reclamar cada mes.", "neg"),
        ("No hemos tenido ningún problema con el pedido.", "pos"),
        ("We are not happy with the delivery.", "neg"),
        ("El pedido llegó con una semana de retraso.", "neg"),
        ("Always out of stock of what we need.", "neg"),
        ("No hubo retrasos, todo en plazo.", "pos"),
        ("Entrega rápida y producto excelente.", "pos"),
        ("Visita de seguimiento trimestral.", "neu"),
    ],
)
def test_polarity_reads_negation_and_supply_vocabulary(text, label):
    assert sentiment.analyse(text).label == label


def test_polarity_is_bounded_and_language_detected():
    result = sentiment.analyse("Muy muy mal, pésimo, horrible, un desastre, fatal. " * 20)
    assert -1 <= result.polarity < -0.9 and result.language == "es"
    assert sentiment.analyse("The delivery was late and the box was damaged.").language == "en"
    assert language.detect("Pedido normal.") == "es"
    assert language.detect("12345") == ""


@pytest.mark.parametrize(
    "value", ["", None, "12345 678", "😀😀😀", "####", 42, b"bytes", "x" * 100_000]
)
def test_odd_or_huge_input_is_neutral_not_a_crash(value):
    result = sentiment.analyse(value)
    assert result.label == "neu" and result.polarity == 0.0
    assert complaints.themes(value) == []


def test_a_very_long_comment_is_read_up_to_the_limit():
    text = "Todo perfecto. " * 1000 + "El pedido llegó tarde y roto."
    assert len(text) > MAX_CHARS
    assert sentiment.analyse(text).label == "pos"  # the tail past the limit is ignored
    quote, value = sentiment.worst_sentence("Buen precio. El pedido llegó tarde y roto. Gracias.")
    assert quote == "El pedido llegó tarde y roto." and value < 0


def test_complaint_themes_and_rule():
    assert complaints.themes("Llegó tarde y sin stock de anestesia") == [
        "late_delivery",
        "stock_out",
    ]
    assert complaints.themes("Far too expensive and the rep was rude") == ["price", "rude_service"]
    assert complaints.themes("Producto defectuoso") == ["defective"]
    praise = sentiment.analyse("No hubo retrasos.").polarity
    assert not complaints.is_complaint(praise, ["late_delivery"])
    assert complaints.is_complaint(-0.4, [], nps=3)
    assert not complaints.is_complaint(-0.4, [], nps=9)
    assert complaints.complaint_themes(-0.4, [], nps=2) == ["other"]


def test_monthly_themes_per_territory_up_to_as_of():
    frame = pd.DataFrame(
        {
            "date": ["2026-10-02", "2026-10-20", "2026-11-03", "2026-11-05", "2026-12-01"],
            "territory": ["Norte", "Norte", "Norte", "Sur", "Norte"],
            "themes": [["price"], ["price", "late_delivery"], ["stock_out"], ["price"], ["price"]],
        }
    )
    table = complaints.monthly_themes(frame, "2026-11-29", months=2)
    rows = table.to_dict("records")
    assert rows[0] == {"month": "2026-10", "territory": "Norte", "theme": "price", "count": 2}
    assert {"month": "2026-11", "territory": "Sur", "theme": "price", "count": 1} in rows
    assert not (table["month"] == "2026-12").any()


def test_nps_categories_and_score():
    assert [nps.category(s) for s in (0, 6, 7, 8, 9, 10, None)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
        None,
    ]
    assert nps.nps([10, 9, 8, 3]) == 25.0
    assert nps.nps([]) is None


def test_category_model_beats_majority_on_held_out_answers():
    import numpy as np

    from seeds.voice import generate

    frame = generate(np.random.default_rng(3), 300, end="2026-11-29")
    frame = frame.loc[frame["comment"] != ""].assign(nps=lambda f: f["true_nps"].astype(float))
    train, test = frame.iloc[: len(frame) * 3 // 4], frame.iloc[len(frame) * 3 // 4 :]
    model = nps.fit(train)
    truth = nps.categories(test["true_nps"])
    accuracy = (model.predict(test) == truth).mean()
    baseline = (nps.majority(nps.categories(train["nps"]), len(test)) == truth).mean()
    assert model.has_signal and accuracy > baseline + 0.2
    assert not nps.fit(train.iloc[:10]).has_signal  # too few answers: no model


def test_evaluation_set_ships_and_is_disjoint_from_training():
    evaluation = pd.read_csv(DATA / "sentiment_eval.csv")
    training = pd.read_csv(DATA / "sentiment_train.csv")
    assert len(evaluation) >= 300
    assert set(evaluation["language"]) == {"es", "en"}
    assert set(evaluation["label"]) == {"neg", "neu", "pos"}
    assert evaluation["text"].str.contains("No está mal").any()
    assert (evaluation["tags"] == "negation").sum() >= 20
    assert not set(evaluation["text"].str.lower()) & set(training["text"].str.lower())
    assert not evaluation["text"].duplicated().any()


def test_complaint_keywords_leave_out_function_words():
    """The manager's keyword cloud names what went wrong, not 'several', 'nobody' or 'fue'."""
    texts = [
        "Several needles were defective and nobody answered us.",
        "El comercial fue maleducado, nadie respondió.",
        "Needles defective again, nothing changed.",
    ]
    terms = dict(complaints.top_terms(texts))
    assert terms["needles"] == 2 and terms["defective"] == 2
    assert not {"several", "nobody", "fue", "nadie", "nothing"} & set(terms)
