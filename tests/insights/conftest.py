import pytest

from .world import AS_OF, build_world

__all__ = ["AS_OF"]


@pytest.fixture
def world(db):
    return build_world("pw")
