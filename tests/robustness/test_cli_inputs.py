"""``python -m twins score``: every bad input is one line on stderr and exit code 2."""

import subprocess
import sys

import pandas as pd
import pytest

from twins.__main__ import main

GOOD = "client,family,date,units\n" + "".join(
    f"C1,ANE,2024-{m:02d}-{d:02d},10\n" for m in range(1, 13) for d in (3, 17)
)


def run(argv, capsys):
    """``(exit code, stderr lines)`` of the CLI, whether it returns or exits."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def score(src, out, *extra):
    return ["score", str(src), "--as-of", "2024-12-29", "--out", str(out), *extra]


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD)
    return path


@pytest.mark.parametrize(
    "content, says",
    [
        ("", "empty file"),
        ("\n\n  \n", "empty file"),
        ("client,family,date,units\n", "no order lines"),
        (GOOD + "C1,ANE,2024-12-20,1e308\n", "'units' is out of range"),
        (GOOD + "C1,ANE,2024-12-20,-1e308\n", "'units' is out of range"),
        (GOOD + "C1,ANE,2024-12-20,inf\n", "'units' is not a number"),
        (GOOD + "C1,ANE,2024-12-20,nan\n", "'units' is not a number"),
    ],
)
def test_bad_file_content(tmp_path, capsys, content, says):
    src = tmp_path / "orders.csv"
    src.write_text(content)
    code, err = run(score(src, tmp_path / "out.csv"), capsys)
    assert (code, len(err)) == (2, 1) and says in err[0]
    assert not (tmp_path / "out.csv").exists()


def test_a_huge_value_names_its_line(tmp_path, capsys):
    src = tmp_path / "orders.csv"
    src.write_text(GOOD.replace("2024-05-03,10", "2024-05-03,1e308"))
    code, err = run(score(src, tmp_path / "out.csv"), capsys)
    assert code == 2 and "line 10: field 'units'" in err[0]


def test_value_column_is_bounded_too(tmp_path, capsys):
    src = tmp_path / "orders.csv"
    src.write_text("client,family,date,units,value\nC1,ANE,2024-01-03,1,1e308\n")
    code, err = run(score(src, tmp_path / "out.csv"), capsys)
    assert code == 2 and "'value' is out of range" in err[0]


@pytest.mark.parametrize(
    "which, says",
    [
        ("input-dir", "is a directory"),
        ("input-missing", "file not found"),
        ("out-missing-dir", "does not exist"),
        ("out-is-dir", "is a directory"),
    ],
)
def test_bad_paths(tmp_path, good, capsys, which, says):
    src, out = good, tmp_path / "out.csv"
    if which == "input-dir":
        src = tmp_path
    elif which == "input-missing":
        src = tmp_path / "nope.csv"
    elif which == "out-missing-dir":
        out = tmp_path / "no" / "such" / "out.csv"
    else:
        out = tmp_path
    code, err = run(score(src, out), capsys)
    assert (code, len(err)) == (2, 1) and says in err[0]


@pytest.mark.parametrize("q", ["2", "-1", "nan", "0", "1", "inf", "abc"])
def test_fdr_q_outside_0_1_is_refused(tmp_path, good, capsys, q):
    code, err = run(score(good, tmp_path / "out.csv", "--fdr-q", q), capsys)
    assert (code, len(err)) == (2, 1) and "--fdr-q" in err[0]


def test_a_good_file_still_scores_with_finite_forecasts(tmp_path, good, capsys):
    out = tmp_path / "out.csv"
    assert run(score(good, out, "--fdr-q", "0.1"), capsys)[0] == 0
    result = pd.read_csv(out)
    assert len(result) == 1 and result["expected_units"].notna().all()


def test_the_real_command_prints_no_traceback(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "twins",
            "score",
            str(empty),
            "--as-of",
            "2024-12-29",
            "--out",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
