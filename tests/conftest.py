"""Shared fixtures. With CI=true the suite insists on PostgreSQL and Redis."""

import os
import socket
from urllib.parse import urlparse

import pytest

CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url, default_port):
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_configure(config):
    if not CI:
        return
    db, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    problems = []
    if not db.startswith("postgres"):
        problems.append("CI=true needs DATABASE_URL pointing at PostgreSQL")
    elif not _reachable(db, 5432):
        problems.append(f"PostgreSQL not reachable at {db}")
    if not redis.startswith("redis"):
        problems.append("CI=true needs REDIS_URL pointing at Redis")
    elif not _reachable(redis, 6379):
        problems.append(f"Redis not reachable at {redis}")
    if problems:
        raise pytest.UsageError("; ".join(problems))


def pytest_collection_modifyitems(config, items):
    """Groups for a parallel run (``make test``: pytest-xdist, ``--dist loadgroup``); each group
    runs in one process. The tests with a real Celery worker: they purge and consume the one
    Redis queue, which two at a time would take from each other. A module's tests that share a
    module-scoped fixture (a simulated world, a seeded history): built once, not once per
    process. The propensity tests that refit one world: its fit is memoised per process."""
    for item in items:
        group = _xdist_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def _xdist_group(item):
    if item.get_closest_marker("integration"):
        return "celery-worker"
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for name in info.names_closure:
        if any(d.scope == "module" for d in info.name2fixturedefs.get(name, ())):
            return item.module.__name__
    if "refit" in info.names_closure and item.module.__name__.startswith("tests.propensity"):
        return "propensity-refits"
    return None


#: Hashing with MD5 keeps the many test users cheap; production keeps Django's defaults.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

#: The pytest-xdist process ("gw0", "gw1", ...) or "" in a serial run.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    if XDIST_WORKER:
        # Each process has its own test database, whose ids start at 1 like the others': keep
        # its cache keys (per-user caches, throttles) apart in the shared Redis.
        caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
        for conf in caches.values():
            conf["KEY_PREFIX"] = XDIST_WORKER
        settings.CACHES = caches


@pytest.fixture
def make_user(db):
    from crm.models import User

    def make(username, role="rep", **extra):
        user = User.objects.create_user(
            username=username, password="pw-" + username, role=role, **extra
        )
        return user

    return make


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process, except in tests marked integration (they start a real worker)."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from config.celery import app

    saved = {k: app.conf[k] for k in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)
