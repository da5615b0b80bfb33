"""The world of the page and service tests: reps, a manager, clients and alerts."""

import pytest

from tests.e2e.world import make_world


@pytest.fixture
def world(db):
    return make_world()
