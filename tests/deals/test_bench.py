"""bench_deals: on planted truth the model beats every baseline on AUC and Brier; without
signal it is no worse-calibrated than the base rate."""

from io import StringIO

from django.core.management import call_command

from bench.deals import run


def test_the_model_beats_the_baselines_and_falls_back_without_signal():
    lines = []
    table, null_table, info, null_info = run(deals_n=2000, seed=11, out=lines.append)
    ours = table["deal-risk model (ours)"]
    for name in ("base rate", "random forest (defaults)", "logistic: amount + cycle"):
        assert ours["AUC"] > table[name]["AUC"], name
        assert ours["Brier"] < table[name]["Brier"], name
    assert info["has_signal"] and not null_info["has_signal"]
    null_ours, null_base = null_table["deal-risk model (ours)"], null_table["base rate"]
    assert null_ours["Brier"] <= null_base["Brier"] + 1e-9
    assert any("Calibration" in line for line in lines)


def test_the_command_prints_the_table(db):
    out = StringIO()
    call_command("bench_deals", "--deals", "1500", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "random forest (defaults)" in text and "logistic: amount + cycle" in text
    assert "decile" in text


def test_pipeline_alert_bench_finds_the_planted_segment_without_echoes():
    from bench.pipeline_alerts import run

    lines = []
    run(sizes=(2000,), seeds=range(1, 3), out=lines.append)
    rows = {line[7:46].strip(): line[46:].split() for line in lines if line.startswith("   2000")}
    assert rows["drivers, one at a time (ours)"] == ["2", "/", "2", "0.0"]
    assert float(rows["one BH over all dimensions"][-1]) > 0, "the echoes the drivers remove"
