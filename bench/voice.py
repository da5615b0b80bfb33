"""bench_sentiment: the voice engine's sentiment and NPS-category figures.

1. Sentiment (neg/neu/pos) on the shipped evaluation set (``voice/data/sentiment_eval.csv``,
   317 short B2B sentences, Spanish and English, written for the project) of:
   - the engine's lexicon with negation, intensifiers and language detection;
   - the same lexicon without negation or intensifiers (a plain lexicon);
   - TF-IDF + logistic regression trained on the disjoint training set
     (``voice/data/sentiment_train.csv``, 210 sentences; no sentence in both);
   - VADER (``vaderSentiment``, English lexicon) when installed (``pip install .[bench]``);
   - the majority label of the training set.
2. NPS category of answers whose score is hidden, from text and scores, on a time split of
   synthetic surveys (:func:`seeds.voice.generate`): TF-IDF + logistic regression
   (:mod:`voice.stats.nps`) trained on answers before the cut-off, against the majority
   category and the lexicon polarity alone.
"""

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import voice
from seeds.voice import generate
from voice.stats import evaluate, language, nps, sentiment
from voice.stats.text import fold

DATA = Path(voice.__file__).resolve().parent / "data"


def load(name):
    return pd.read_csv(DATA / f"sentiment_{name}.csv", dtype=str, keep_default_na=False)


def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyser = SentimentIntensityAnalyzer()
    return lambda t: sentiment.label_of(analyser.polarity_scores(t)["compound"])


def sentiment_methods(train):
    tfidf = make_pipeline(
        TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10.0, max_iter=2000, random_state=0),
    ).fit(train["text"], train["label"])
    majority = train["label"].mode().iloc[0]
    methods = {
        "lexicon + negation (engine)": lambda t: sentiment.analyse(t).label,
        "plain lexicon (no negation)": lambda t: sentiment.analyse(t, negation=False).label,
        "TF-IDF + LR (train set)": lambda t: tfidf.predict([t])[0],
    }
    vader = _vader()
    if vader is not None:
        methods["VADER (English lexicon)"] = vader
    methods["majority label"] = lambda t: majority
    return methods


def _row(name, truth, pred, langs, tags):
    allm = evaluate.scores(truth, pred)
    cells = [name, f"{allm['accuracy']:.3f}", f"{allm['macro_f1']:.3f}"]
    for lang in ("es", "en"):
        m = evaluate.scores(truth[langs == lang], pred[langs == lang])
        cells.append(f"{m['macro_f1']:.3f}")
    neg = np.isin(tags, ["negation", "not_bad"])
    cells.append(f"{evaluate.scores(truth[neg], pred[neg])['accuracy']:.3f}")
    return cells


def _table(out, header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    out(line)
    out("-" * len(line))
    for r in rows:
        out(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def run_sentiment(out):
    train, test = load("train"), load("eval")
    overlap = set(train["text"].str.lower()) & set(test["text"].str.lower())
    out(
        f"Sentiment on voice/data/sentiment_eval.csv: {len(test)} sentences "
        f"({(test['language'] == 'es').sum()} es, {(test['language'] == 'en').sum()} en; "
        f"{test['tags'].isin(['negation', 'not_bad']).sum()} with negation); "
        f"training set {len(train)} sentences, {len(overlap)} shared."
    )
    truth = test["label"].to_numpy(object)
    langs = test["language"].to_numpy(object)
    tags = test["tags"].to_numpy(object)
    rows = []
    for name, method in sentiment_methods(train).items():
        tick = time.perf_counter()
        pred = np.array([method(t) for t in test["text"]], dtype=object)
        ms = 1000 * (time.perf_counter() - tick) / len(test)
        rows.append([*_row(name, truth, pred, langs, tags), f"{ms:.2f}"])
    header = ["method", "accuracy", "macro-F1", "F1 es", "F1 en", "acc. negation", "ms/text"]
    _table(out, header, rows)
    detected = np.array([language.detect(t, "?") for t in test["text"]], dtype=object)
    out(
        f"Language detection: {np.mean(detected == langs):.3f} correct "
        f"({(detected == '?').sum()} undecided)."
    )


def run_nps(out, *, clients=600, seed=7, end="2026-11-29", test_days=120):
    rng = np.random.default_rng(seed)
    frame = generate(rng, clients, end=end)
    frame = frame.loc[frame["comment"] != ""].copy()
    frame["nps"] = frame["true_nps"].astype(float)
    cut = pd.Timestamp(end) - pd.Timedelta(days=test_days)
    dates = pd.to_datetime(frame["date"])
    train, test = frame.loc[dates <= cut], frame.loc[dates > cut]
    truth = nps.categories(test["true_nps"])
    model = nps.fit(train, seed=seed)
    polarity = np.array([sentiment.analyse(t).polarity for t in test["comment"]])
    by_polarity = np.where(
        polarity < -0.05, "detractor", np.where(polarity > 0.3, "promoter", "passive")
    )
    rows = []
    for name, pred in (
        ("TF-IDF + LR on text and scores (engine)", model.predict(test)),
        ("lexicon polarity alone (thresholds)", by_polarity),
        ("majority category", nps.majority(nps.categories(train["nps"]), len(test))),
    ):
        m = evaluate.scores(truth, pred)
        rows.append([name, f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f}"])
    out("")
    out(
        f"NPS category with the score hidden: synthetic surveys (seeds.voice, {clients} clients, "
        f"seed {seed}); trained on {len(train)} answers up to {cut.date()}, tested on the "
        f"{len(test)} answers after it."
    )
    _table(out, ["method", "accuracy", "macro-F1"], rows)


def run(out=print, **kwargs):
    run_sentiment(out)
    run_nps(out, **kwargs)
