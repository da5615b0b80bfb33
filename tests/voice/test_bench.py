"""bench_sentiment prints both comparison tables."""

from io import StringIO

from django.core.management import call_command


def test_bench_sentiment_prints_the_comparison():
    out = StringIO()
    call_command("bench_sentiment", "--clients", "150", stdout=out)
    text = out.getvalue()
    assert "317 sentences" in text and "0 shared" in text
    rows = {line.split("  ")[0].strip(): line for line in text.splitlines()}
    engine = float(rows["lexicon + negation (engine)"].split()[4])
    majority = float(rows["majority label"].split()[2])
    assert engine > 0.85 > majority
    assert "TF-IDF + LR (train set)" in text and "plain lexicon (no negation)" in text
    assert "majority category" in text
