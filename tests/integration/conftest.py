"""A real Celery worker subprocess on PostgreSQL and Redis, pointed at pytest's test database.

The integration tests run only with CI=true (tests/conftest.py then insists on DATABASE_URL and
REDIS_URL); otherwise their module skips them.
"""

import os

import pytest
from django.db import connection

from bench.workers import WorkerProcess


def worker_database_url():
    """DATABASE_URL rewritten to pytest's test database (test_<name>)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_env(transactional_db):
    """Environment of a worker subprocess sharing this test's database and Redis."""
    from config.celery import app

    app.control.purge()  # messages left by an earlier, interrupted session
    env = os.environ.copy()
    env.update(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_VISIBILITY_TIMEOUT="5",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def workers(worker_env):
    """Start workers with ``workers(**env overrides)``; all are stopped at teardown."""
    started = []

    def start(concurrency=1, **env):
        env = worker_env | {k: str(v) for k, v in env.items()}
        worker = WorkerProcess(concurrency, env=env, prefix="it", loglevel="info")
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop(wait=20)
