"""Shared fixtures of the robustness suite: the importer's sheets and the API's small CRM."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.api.conftest import build_world, token_for

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


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def api_as():
    """``api_as(user, language="es")``: an APIClient sending ``user``'s token."""

    def make(user, language="es"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


@pytest.fixture
def actions(db):
    from recommender.models import Action

    return {a.code: a for a in Action.objects.all()}
