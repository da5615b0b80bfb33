"""The offline CLI: orders CSV in, one scored row per pair out, clear errors."""

import csv

import numpy as np
import pytest

from twins.__main__ import OUTPUT, main


def write_orders(path, rows, header=("client", "family", "date", "units", "value", "kind")):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def history():
    """Twenty clients buying anaesthesia weekly (one stops 5 weeks before as_of) and implants."""
    rng = np.random.default_rng(0)
    start = np.datetime64("2023-01-02")
    rows = []
    for c in range(20):
        for k in range(104):
            day = str(start + k * 7 + int(rng.integers(0, 5)))
            if c == 0 and k >= 99:
                continue
            rows.append((f"C{c}", "ANEST", day, int(rng.poisson(12)), 30.0, "commodity"))
            if k % 6 == c % 6:
                rows.append((f"C{c}", "IMPL", day, 2, 400.0, "technical"))
    return rows


def test_score_end_to_end(tmp_path, capsys):
    src, out = tmp_path / "orders.csv", tmp_path / "out.csv"
    write_orders(src, history())
    code = main(["score", str(src), "--as-of", "2024-12-29", "--horizon", "4", "--out", str(out)])
    assert code == 0
    assert "40 pairs scored" in capsys.readouterr().out
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == OUTPUT and len(rows) == 40
    by_pair = {(r["client"], r["family"]): r for r in rows}
    gone = by_pair[("C0", "ANEST")]
    assert gone["alert_kind"] == "full_churn" and float(gone["p_active"]) < 0.05
    assert float(gone["euros_at_stake"]) > 0
    steady = by_pair[("C1", "ANEST")]
    assert steady["alert_kind"] == "" and float(steady["p_active"]) > 0.95
    assert float(steady["p5_next_week"]) < 12 < float(steady["p95_next_week"])
    assert 30 < float(steady["expected_units"]) < 70  # about 12 a week over 4 weeks
    assert by_pair[("C1", "IMPL")]["kind"] == "technical"


def test_bad_row_is_named(tmp_path, capsys):
    src = tmp_path / "orders.csv"
    write_orders(
        src,
        [
            ("C1", "F", "2024-01-01", "3", "1", "commodity"),
            ("C1", "F", "2024-01-08", "three", "1", "commodity"),
        ],
    )
    code = main(["score", str(src), "--as-of", "2024-12-29", "--out", str(tmp_path / "o.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "'units'" in err and "three" in err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([("C1", "F", "2024-01-01")], ("client", "family", "date"), "missing column(s) units"),
        ([("C1", "F", "01/02/2024", "1")], ("client", "family", "date", "units"), "'date'"),
        ([("C1", "F", "2024-01-01", "1", "1", "gadget")], None, "'kind' must be one of"),
    ],
)
def test_other_bad_input(tmp_path, capsys, rows, header, message):
    src = tmp_path / "orders.csv"
    write_orders(src, rows, header) if header else write_orders(src, rows)
    assert main(["score", str(src), "--as-of", "2024-12-29", "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


def test_kind_inferred_without_a_kind_column(tmp_path, capsys):
    """Random repeat buying (irregular gaps, many one-time buyers) is scored by the commodity
    twin; regular sporadic replenishment by the technical one; no kind column needed."""
    rng = np.random.default_rng(3)
    start = np.datetime64("2023-01-02")
    rows = []
    for c in range(60):
        day = int(rng.integers(0, 60))
        rate = rng.gamma(0.5, 1 / 20)  # purchases a day, most clients rarely come back
        while day < 700:
            rows.append((f"C{c}", "CD", str(start + day), 1, 15.0))
            day += 1 + int(rng.exponential(1 / max(rate, 1e-4)))
        for k in range(int(rng.integers(0, 8)), 700, 56):
            rows.append((f"C{c}", "IMPL", str(start + k + int(rng.integers(0, 4))), 2, 400.0))
    src, out = tmp_path / "orders.csv", tmp_path / "out.csv"
    write_orders(src, rows, header=("client", "family", "date", "units", "value"))
    as_of = str(start + 700)
    assert main(["score", str(src), "--as-of", as_of, "--horizon", "26", "--out", str(out)]) == 0
    with open(out) as fh:
        scored = list(csv.DictReader(fh))
    kinds = {r["family"]: r["kind"] for r in scored}
    assert kinds == {"CD": "commodity", "IMPL": "technical"}


def test_twins_bench_runs_the_bench_program():
    """`python -m twins bench --forecast` is the issue's command: the twins CLI hands it to
    `python -m bench twins` (a program, not an import: the engines do not import bench)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "twins", "bench", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "--forecast" in done.stdout and "--quick" in done.stdout
