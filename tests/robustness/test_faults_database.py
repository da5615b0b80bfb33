"""A dropped database connection: a read is retried once on a fresh connection, a write is
not; persistent connections are bounded and health-checked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]
#: Committed transactions, as in production (no serialized rollback: it clashes with the
#: content types that other transactional tests' flushes recreate).
TRANSACTIONAL = pytest.mark.django_db(transaction=True)


def drop_once(monkeypatch, module, name):
    """Make ``module.name`` fail once as a dropped connection does; count the calls."""
    real, calls = getattr(module, name), []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


# Outside a test transaction, as in production (no ATOMIC_REQUESTS): a retry inside an open
# transaction would be unsafe, and the middleware refuses it.
@TRANSACTIONAL
def test_a_page_read_is_retried_once_on_a_fresh_connection(world, client, monkeypatch):
    from crm import selectors

    calls = drop_once(monkeypatch, selectors, "queue_counts")
    client.force_login(world.ana)
    response = client.get("/")
    assert response.status_code == 200 and len(calls) == 2


@TRANSACTIONAL
def test_an_api_read_is_retried_too(world, api_as, monkeypatch):
    from crm import selectors

    calls = drop_once(monkeypatch, selectors, "alerts_visible_to")
    response = api_as(world.ana).get("/api/v1/alerts/")
    assert response.status_code == 200 and len(calls) >= 2  # failed once, then served


@TRANSACTIONAL
def test_a_write_is_not_retried(world, api_as, monkeypatch):
    from crm import services

    calls = drop_once(monkeypatch, services, "answer_alert")
    api = api_as(world.ana)
    api.raise_request_exception = False
    response = api.post(
        f"/api/v1/alerts/{world.a_ana1.pk}/feedback/",
        {"verdict": "false_alarm", "reason": "x", "idempotency_key": "w1"},
        format="json",
    )
    assert response.status_code == 500 and len(calls) == 1
    again = api.post(  # the client retries with its key: recorded once
        f"/api/v1/alerts/{world.a_ana1.pk}/feedback/",
        {"verdict": "false_alarm", "reason": "x", "idempotency_key": "w1"},
        format="json",
    )
    assert again.status_code == 201


def _settings_with(env):
    code = (
        "import json, config.settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', "
        "'OPTIONS')}, default=str))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE")}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def test_persistent_postgres_connections_are_bounded_and_health_checked(tmp_path):
    db = _settings_with({"DATABASE_URL": "postgres://u@db.example:5432/crm"})
    assert db["CONN_HEALTH_CHECKS"] is True
    assert 0 < db["CONN_MAX_AGE"] <= 600
    assert db["OPTIONS"]["connect_timeout"] > 0
    assert (
        _settings_with({"DATABASE_URL": "postgres://u@h/c", "CONN_MAX_AGE": "0"})["CONN_MAX_AGE"]
        == 0
    )


def test_sqlite_takes_the_write_lock_when_a_transaction_begins(tmp_path):
    db = _settings_with({"CRM_VAR_DIR": str(tmp_path)})
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("method", ["get", "head"])
def test_only_reads_are_retried(method):
    from web.middleware import SAFE_METHODS

    assert method.upper() in SAFE_METHODS and "POST" not in SAFE_METHODS
