"""The world of the briefings tests: the shared CRM world, audio files in a temporary folder."""

import pytest

from tests.e2e.world import make_world


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture(autouse=True)
def _audio_dir(settings, tmp_path):
    settings.BRIEFINGS_AUDIO_DIR = tmp_path / "briefs"
    settings.SITE_URL = "https://crm.example.com"


@pytest.fixture
def client(db):
    """A browser asking for English pages (the site's default is Spanish)."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})
