"""bench_insights --value-only: the value forecast's table on a small demo."""

import io

from django.core.management import call_command

from bench import value_forecast


def test_value_table_has_every_method_and_the_twins_beat_last_quarter():
    out = io.StringIO()
    figures = value_forecast.run(clients=200, quarters=2, out=lambda s: out.write(s + "\n"))
    assert set(figures) == set(value_forecast.METHODS)
    for m in figures.values():
        assert 0.5 <= m["coverage"] <= 1.0  # an 80 % interval, roughly
        assert m["mae"] > 0
    # The method the product keeps beats the naive baseline it must beat.
    assert (
        figures["twins sum (8 weeks x 13/8, as stored)"]["mae"]
        < (figures["same as last quarter"]["mae"])
    )
    assert "room to grow" in out.getvalue()


def test_value_only_flag_prints_the_table_without_the_churn_benchmark():
    out = io.StringIO()
    call_command(
        "bench_insights",
        "--value-only",
        "--no-twins",
        "--clients",
        "120",
        "--quarters",
        "1",
        stdout=out,
    )
    text = out.getvalue()
    assert "same as last quarter" in text and "seasonal naive" in text
    assert "AUC" not in text  # the churn table is not run
