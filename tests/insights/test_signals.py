"""The voice and campaign signals of the client features: hand-checked small cases, and no
event dated after a snapshot ever reaches that snapshot's features."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from insights.stats import churn as C
from insights.stats import features as F

T = pd.Timestamp("2026-06-30")


def _day(offset):
    return T + pd.Timedelta(days=offset)


def _voice():
    notes = pd.DataFrame(
        {
            "client": ["a", "a", "a", "b"],
            "date": [_day(-10), _day(-100), _day(-200), _day(3)],
            "polarity": [-0.6, 0.2, 1.0, -1.0],
        }
    )
    complaints = pd.DataFrame({"client": ["a", "a", "b"], "date": [_day(-5), _day(-95), _day(1)]})
    surveys = pd.DataFrame(
        {
            "client": ["a", "a", "b", "b"],
            "date": [_day(-300), _day(-20), _day(-400), _day(2)],
            "nps": [3, 9, 10, 0],
        }
    )
    return F.Signals(notes=notes, complaints=complaints, surveys=surveys)


def test_voice_signals_by_hand():
    got = _voice().features(T, ["a", "b", "c"])
    # a: notes at -10 and -100 days (-0.6, +0.2; the one at -200 is past 180 days) -> -0.2;
    # one complaint in 90 days (the one at -95 is older); latest NPS answer: 9 (20 days ago).
    assert got.loc["a", "sentiment_180d"] == pytest.approx(-0.2)
    assert got.loc["a", "complaints_90d"] == 1
    assert got.loc["a", "nps_last"] == 9
    # b: its note, complaint and 0 NPS are dated after T; its NPS of 10 is 400 days old.
    assert got.loc["b", "sentiment_180d"] == 0.0
    assert got.loc["b", "complaints_90d"] == 0
    assert np.isnan(got.loc["b", "nps_last"])
    # c: nothing at all: neutral.
    assert got.loc["c"].tolist()[:2] == [0.0, 0.0]
    assert got.loc["c", "campaign_response"] == 0.5
    # Three days later b's note (-1.0), complaint and NPS 0 count.
    later = _voice().features(_day(3), ["b"])
    assert later.loc["b"].tolist()[:3] == [-1.0, 1.0, 0.0]


def _lines(rows):
    return pd.DataFrame(rows, columns=["client", "family", "date", "value"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_campaign_response_by_hand():
    start, end = pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-15")  # 14 days
    before = start - pd.Timedelta(days=30)
    rows = [
        # a: 91 euros of X in the 91 days before (1 a day), 28 during (2 a day): rose.
        ("a", "X", before, 91.0),
        ("a", "X", start + pd.Timedelta(days=3), 28.0),
        # b: 182 before (2 a day), 14 during (1 a day): did not rise.
        ("b", "X", before, 182.0),
        ("b", "X", start + pd.Timedelta(days=3), 14.0),
        # c buys only Y: not concerned by the campaign on X.
        ("c", "Y", before, 50.0),
        ("c", "Y", start + pd.Timedelta(days=3), 500.0),
        # d: X during the campaign only, nothing before to compare with.
        ("d", "X", start + pd.Timedelta(days=3), 100.0),
        # e: X 120 days before the campaign, outside the 91 days compared.
        ("e", "X", start - pd.Timedelta(days=120), 100.0),
        ("e", "X", start + pd.Timedelta(days=3), 100.0),
    ]
    history = F.History(_lines(rows))
    out = history.campaign_outcomes([(start, end, ["X"])])
    assert dict(zip(out["client"], out["rose"], strict=True)) == {"a": True, "b": False}
    signals = F.Signals(campaigns=out)
    clients = ["a", "b", "c", "d", "e"]
    # Before the campaign has ended it is not judged: neutral 0.5 for everyone.
    during = signals.features(end - pd.Timedelta(days=1), clients)["campaign_response"]
    assert during.tolist() == [0.5] * 5
    after = signals.features(end, clients)["campaign_response"]
    assert after.tolist() == [1.0, 0.0, 0.5, 0.5, 0.5]
    # A campaign of every family (no families listed) also judges c on Y.
    every = history.campaign_outcomes([(start, end, [])])
    assert dict(zip(every["client"], every["rose"], strict=True)) == {
        "a": True,
        "b": False,
        "c": True,
    }


def test_features_carry_the_signals_and_stay_neutral_without_them():
    rows = [("a", "X", T - pd.Timedelta(days=7 * w), 10.0) for w in range(20)]
    history = F.History(_lines(rows))
    plain = history.features(T, ["a"])
    assert plain.loc["a", "sentiment_180d"] == 0.0
    assert plain.loc["a", "campaign_response"] == 0.5
    with_voice = history.features(T, ["a"], signals=_voice())
    assert with_voice.loc["a", "sentiment_180d"] == pytest.approx(-0.2)
    assert with_voice.loc["a", "complaints_90d"] == 1
    # The order features are the same either way.
    assert with_voice[list(F.COLUMNS)].equals(plain[list(F.COLUMNS)])


def test_a_complaint_after_the_snapshot_does_not_reach_its_features():
    """The churn model is trained on replayed snapshots: a complaint filed after a snapshot's
    date (but before the refit reads it) must not change that snapshot's row."""
    rows = [(c, "X", T - pd.Timedelta(days=7 * w), 10.0) for c in ("a", "b") for w in range(60)]
    history = F.History(_lines(rows))
    snapshot = T - pd.Timedelta(days=120)
    dates = [snapshot - pd.Timedelta(days=28), snapshot]

    def frame(complaints):
        signals = F.Signals(complaints=pd.DataFrame(complaints, columns=["client", "date"]))
        X, _ = C.training_frame(history, dates, signals=signals)
        return X

    base = frame([])
    after = frame([("a", snapshot + pd.Timedelta(days=1)), ("a", T)])
    pd.testing.assert_frame_equal(after, base)
    # The same complaint dated on the snapshot day does count (the test can fail).
    on_the_day = frame([("a", snapshot)])
    last = on_the_day["snapshot"] == 1
    assert on_the_day.loc[last, "complaints_90d"].to_dict() == {"a": 1.0, "b": 0.0}


def test_the_churn_model_leaves_out_a_signal_nobody_has():
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({c: rng.normal(size=n) for c in C.CHURN_FEATURES})
    X["nps_last"] = np.nan  # no survey answered by anyone
    X["snapshot"] = np.repeat(np.arange(4), n // 4)
    y = X["recency_ratio"].to_numpy() + rng.normal(0, 0.5, n) > 1.0
    model = C.fit(X, y)
    assert model.has_signal
    assert "nps_last" not in model.columns
    assert "complaints_90d" in model.columns
    assert model.predict(X.iloc[:5]).shape == (5,)


def test_reason_text_of_the_signals():
    from insights.narratives import reason_text

    assert reason_text("complaints_90d", 2.0, "en") == "2 complaints in 90 days"
    assert reason_text("nps_last", float("nan"), "es") == "sin respuesta NPS en 12 meses"
    assert reason_text("campaign_response", 0.25, "en") == "bought more in 25% of its campaigns"


@pytest.mark.django_db
def test_the_refit_reads_the_voice_engine_and_the_campaigns(world):
    """Through the database: a visit note's analysis, a complaint, an NPS answer and a
    campaign reach the features of the refit's read (``read_signals``)."""
    from crm.models import Campaign, ProductFamily, VisitNote
    from insights import services
    from voice.models import SurveyResponse, TextAnalysis

    from .world import AS_OF

    client = world["clients"][5]
    note = VisitNote.objects.create(client=client, author=world["ana"], text="Muy mal servicio")
    TextAnalysis.objects.filter(note=note).delete()  # analysed on save; set it by hand
    TextAnalysis.objects.create(
        note=note, client=client, date=AS_OF - dt.timedelta(days=3), polarity=-0.8, label="neg"
    )
    late = VisitNote.objects.create(client=client, author=world["ana"], text="Queja")
    TextAnalysis.objects.filter(note=late).delete()
    TextAnalysis.objects.create(  # after the refit date: not read
        note=late, client=client, date=AS_OF + dt.timedelta(days=1), is_complaint=True
    )
    survey = SurveyResponse.objects.create(
        response_id="S1", client=client, date=AS_OF - dt.timedelta(days=30), nps=4
    )
    TextAnalysis.objects.filter(survey=survey).delete()
    TextAnalysis.objects.create(
        survey=survey, client=client, date=survey.date, polarity=-0.5, is_complaint=True
    )
    camp = Campaign.objects.create(
        code="C1", start=AS_OF - dt.timedelta(days=60), end=AS_OF - dt.timedelta(days=47)
    )
    camp.families.set(ProductFamily.objects.filter(code="ANES"))
    lines = services.read_lines(AS_OF)
    history = F.History(lines)
    feats = history.features(AS_OF, [client.pk], signals=services.read_signals(history, AS_OF))
    row = feats.loc[client.pk]
    assert row["sentiment_180d"] == pytest.approx(-0.8)  # notes only, not the survey comment
    assert row["complaints_90d"] == 1  # the survey comment's; the note after AS_OF not read
    assert row["nps_last"] == 4
    # A weekly buyer of the same value every week: no rise during the campaign.
    assert row["campaign_response"] == 0.0
