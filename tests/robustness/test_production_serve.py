"""The production settings serve pages after the documented steps (docs/faults.md, ``make
serve``): collectstatic, migrate, then the WSGI app. Each step runs in its own process with
``CRM_ENV=production``, as gunicorn would."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: One request through config.wsgi.application; prints "status|body".
REQUEST = """
import sys
from io import BytesIO
from config.wsgi import application

def get(path):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME":
        "crm.example.com", "SERVER_PORT": "443", "HTTP_HOST": "crm.example.com",
        "wsgi.url_scheme": "https", "wsgi.input": BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False, "SERVER_PROTOCOL": "HTTP/1.1",
    }
    status = []
    body = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
    return status[0].split()[0], body.decode("utf-8", "replace")

code, body = get(sys.argv[1])
print(code + "|" + body)
"""


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        CRM_ENV="production",
        SECRET_KEY="test-only-" + "x" * 60,
        ALLOWED_HOSTS="crm.example.com",
        CRM_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONWARNINGS="ignore",
    )
    return env


def step(env, *args):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def get(env, path):
    out = step(env, "-c", REQUEST, path).stdout
    code, _, body = out.partition("|")
    return int(code), body


def test_production_serves_pages_and_static_files_after_the_documented_steps(production_env):
    step(production_env, "manage.py", "migrate", "--noinput")
    # Without collectstatic every page is a 500: the manifest of static files is missing.
    assert get(production_env, "/accounts/login/")[0] == 500

    step(production_env, "manage.py", "collectstatic", "--noinput")
    code, body = get(production_env, "/accounts/login/")
    assert code == 200
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
    assert css, "the page links the hashed stylesheet"
    assert get(production_env, css.group(1))[0] == 200  # served by WhiteNoise
    assert (Path(production_env["STATIC_ROOT"]) / "staticfiles.json").exists()


def test_make_serve_runs_the_documented_steps():
    makefile = (ROOT / "Makefile").read_text()
    serve = makefile[makefile.index("\nserve:") :]
    for needed in ("collectstatic", "migrate", "gunicorn", "celery -A config worker", "beat"):
        assert needed in serve, needed
