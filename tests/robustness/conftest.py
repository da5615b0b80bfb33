"""The API tests' small CRM (a manager, two reps, a rep of another team, an admin) for the
robustness suite: every defect the hostile-user review found, reproduced and closed."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import build_world, token_for


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
