"""A ``celery -A crm worker`` subprocess, for the scoring benchmark and the integration tests."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from django.conf import settings


class WorkerNotReady(RuntimeError):
    pass


class WorkerProcess:
    """A prefork Celery worker in its own process group; ``kill()`` SIGKILLs the whole group."""

    def __init__(self, concurrency=1, env=None, prefix="worker", loglevel="warning"):
        self.concurrency = concurrency
        self.env = env
        self.loglevel = loglevel
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"{prefix}-", suffix=".log")
        self.process = None

    def start(self, timeout=60):
        """Start the worker and wait until it answers a ping; returns ``self``."""
        from celery import current_app as app

        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", self.name]
            + ["-P", "prefork", "-c", str(self.concurrency), "-l", self.loglevel]
            + ["--without-gossip", "--without-mingle"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not app.control.ping(destination=[self.name], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise WorkerNotReady(f"The Celery worker did not start:\n{self.output()}")
        return self

    def output(self):
        """The last lines the worker logged."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]

    def kill(self):
        """SIGKILL the worker and its children, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, wait=60):
        """Warm shutdown (SIGTERM to the main process lets running tasks finish), then SIGKILL
        whatever is left of the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
