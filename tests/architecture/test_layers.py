"""The import-linter contracts of pyproject.toml hold, and a wrong arrow breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "config",
    "bench",
    "web",
    "twins",
    "recommender",
    "deals",
    "insights",
    "voice",
    "briefings",
    "seeds",
    "crm",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(dest):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _lint(cwd):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def test_the_tree_keeps_its_contracts(tmp_path):
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "bad_import", "message"),
    [
        ("crm/models.py", "import twins.models", "crm is not allowed to import twins"),
        ("twins/models.py", "import recommender.models", "is not allowed to import"),
        ("web/views.py", "import bench.twins", "web is not allowed to import bench"),
        ("twins/stats/fdr.py", "import django", "twins.stats"),
        ("insights/stats/churn.py", "import django", "insights.stats"),
        ("twins/models.py", "import insights.models", "twins is not allowed to import insights"),
        ("voice/stats/nps.py", "import django", "voice.stats"),
        ("voice/services.py", "import deals.models", "voice is not allowed to import deals"),
        ("briefings/services.py", "import twins.kinds", "is not allowed to import"),
        ("briefings/spoken.py", "import django", "briefings.spoken"),
    ],
)
def test_a_wrong_arrow_breaks_the_lint(tmp_path, module, bad_import, message):
    _copy_tree(tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert message in result.stdout
