"""Helpers for the importer's robustness tests: a directory of sheets and the summary."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FIXTURES = Path(__file__).resolve().parents[1] / "crm" / "fixtures"


@pytest.fixture
def base(db):
    """The ERP fixture's clients (C001-C003) and products (P-ANE-1, P-AGU-1, P-IMP-1, ...)."""
    call_command("import_erp", str(FIXTURES / "erp"), "--no-progress", stdout=StringIO())


@pytest.fixture
def run_import():
    """``run_import(directory, *args) -> summary``; a command error keeps the summary."""

    def run(directory, *args):
        out = StringIO()
        try:
            call_command("import_erp", str(directory), "--no-progress", *args, stdout=out)
        except CommandError:
            pass
        return out.getvalue()

    return run
