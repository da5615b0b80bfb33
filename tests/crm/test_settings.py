import os
import subprocess
import sys

from django.conf import settings


def _import_settings(env):
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_production_refuses_development_secret_key():
    result = _import_settings({"CRM_ENV": "production", "SECRET_KEY": settings.DEV_SECRET_KEY})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _import_settings({"CRM_ENV": "production", "SECRET_KEY": "x" * 60})
    assert result.returncode == 0, result.stderr


def test_defaults_are_madrid_and_bilingual():
    assert settings.TIME_ZONE == "Europe/Madrid"
    assert [code for code, _ in settings.LANGUAGES] == ["es", "en"]
