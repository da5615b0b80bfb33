"""A real Celery worker subprocess on PostgreSQL and Redis, pointed at pytest's test database.

The integration tests run only with CI=true (tests/conftest.py then insists on DATABASE_URL and
REDIS_URL); otherwise their module skips them.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url():
    """DATABASE_URL rewritten to pytest's test database (test_<name>)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """``celery -A crm worker`` in its own process group; ``kill()`` is a SIGKILL of it all."""

    def __init__(self, env):
        self.env = env
        self.name = f"it-{uuid.uuid4().hex[:8]}@%h"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="celery-worker-", suffix=".log")
        self.process = None

    def start(self, concurrency=1, timeout=60):
        from crm.celery import app

        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "-n", self.name]
            + ["-P", "prefork", "-c", str(concurrency), "-l", "info"]
            + ["--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        hostname = self.name.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if app.control.ping(destination=[hostname], timeout=0.5):
                return self
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.output()}")

    def output(self):
        self.log.flush()
        return Path(self.log.name).read_text()[-5000:]

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        """Warm shutdown of the main process (running tasks finish), then kill the group."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def worker_env(transactional_db):
    """Environment of a worker subprocess sharing this test's database and Redis."""
    from crm.celery import app

    app.control.purge()  # messages left by an earlier, interrupted session
    env = os.environ.copy()
    env.update(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_VISIBILITY_TIMEOUT="5",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def workers(worker_env):
    """Start workers with ``workers(**env overrides)``; all are stopped at teardown."""
    started = []

    def start(concurrency=1, **env):
        worker = Worker(worker_env | {k: str(v) for k, v in env.items()})
        started.append(worker)
        return worker.start(concurrency)

    yield start
    for worker in started:
        worker.stop()
