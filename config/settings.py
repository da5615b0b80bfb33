"""Settings for Customer Twin, read from environment variables with working defaults.

Unset ``DATABASE_URL`` -> SQLite file under ``var/``; unset ``REDIS_URL`` -> Celery tasks run
in-process. ``CRM_ENV=production`` turns on the deployment hardening and refuses the
development secret key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "django-insecure-customer-twin-development-key-do-not-use-in-production"

PRODUCTION = os.environ.get("CRM_ENV", "development").lower() == "production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "CRM_ENV=production needs SECRET_KEY set to a random value of 50+ characters."
    )
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("CRM_ENV=production refuses DEBUG=true.")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "crm",
    "twins",
    "recommender",
    "deals",
    "insights",
    "voice",
    "briefings",
    "seeds",
    "web",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "web.middleware.RetryDroppedConnectionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://...) or an embedded SQLite file.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Persistent connections live CONN_MAX_AGE seconds and are checked before reuse, so a
# connection the server dropped is replaced instead of failing the next request. Each
# process holds at most one per thread: size gunicorn workers x threads + Celery concurrency
# below PostgreSQL's max_connections (see docs/faults.md). The connect timeout bounds a wait
# on an unreachable server.
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", 60)),
            conn_health_checks=True,
        )
    }
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", 10))
    )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "customer_twin.sqlite3",
            # IMMEDIATE: a transaction takes the write lock when it begins, so two answers to
            # one alert queue up instead of failing with "database is locked".
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }
# The queue's covering index (INCLUDE columns) is a PostgreSQL feature; SQLite ignores the
# extra columns, which only costs speed on the embedded demo database.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Madrid"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", 1800))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", 1700))
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died unacknowledged is handed to another worker after this many seconds;
# keep it above the longest scoring task.
# Workers sweep for such abandoned tasks every interval x throttle seconds (kombu's defaults:
# 10 x 10); the integration tests shorten both to see a killed worker's shard come back.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600)),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", 10)),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", 10)),
}
CELERY_RESULT_EXPIRES = 7 * 24 * 3600

# Scoring runs (twins.runs): client shards per run, forecast horizon and history in weeks,
# false-discovery level per rep's queue, cooldown of a dismissed alert, the seconds without a
# sign of life after which a running run's missing shards are queued again (a task can be lost
# for good when its worker dies while taking it from Redis), and after which an active run is
# failed so that a new one can start.
SCORING_SHARDS = int(os.environ.get("SCORING_SHARDS", 8))
SCORING_HORIZON = int(os.environ.get("SCORING_HORIZON", 8))
SCORING_HISTORY_WEEKS = int(os.environ.get("SCORING_HISTORY_WEEKS", 156))
SCORING_FDR_Q = float(os.environ.get("SCORING_FDR_Q", 0.2))  # twins.stats.fdr.DEFAULT_Q
SCORING_DISMISS_COOLDOWN_DAYS = int(os.environ.get("SCORING_DISMISS_COOLDOWN_DAYS", 84))
SCORING_RESUME_AFTER = int(os.environ.get("SCORING_RESUME_AFTER", 600))
SCORING_STALE_AFTER = int(os.environ.get("SCORING_STALE_AFTER", 1800))
# The twins' old co-occurrence cross-sell rule; off: the recommender's propensity model raises
# cross-sell alerts (docs/propensity.md).
TWINS_CROSS_SELL = env_bool("TWINS_CROSS_SELL", False)

if REDIS_URL:
    CACHES = {  # degrades to "no cache" while Redis is down (config/cache.py)
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {"write": os.environ.get("API_WRITE_RATE", "600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Twin API",
    "DESCRIPTION": "Clients, orders, twins, alerts and feedback of the Customer Twin CRM.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (no CDN: the docs work offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AlertKindEnum": "crm.kinds.choices",
        "FamilyKindEnum": "crm.models.ProductFamily.Kind",
        "AlertStatusEnum": "crm.models.Alert.Status",
        "ScoringRunStatusEnum": "twins.models.ScoringRun.Status",
    },
}

# E-mail (the weekly deals summary): printed to the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends." + ("smtp" if EMAIL_HOST else "console") + ".EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Customer Twin <noreply@localhost>")
# Quarterly revenue target (euros) the weekly summary compares the forecast with; unset: none.
DEALS_QUARTER_TARGET = (
    float(os.environ["DEALS_QUARTER_TARGET"]) if os.environ.get("DEALS_QUARTER_TARGET") else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# Briefings (docs/briefings.md): eSpeak NG and opusenc (Debian packages espeak-ng, opus-tools)
# for the spoken brief; where its audio files go; the site's address for the digest's links.
BRIEFINGS_ESPEAK = os.environ.get("BRIEFINGS_ESPEAK", "espeak-ng")
BRIEFINGS_OPUSENC = os.environ.get("BRIEFINGS_OPUSENC", "opusenc")
BRIEFINGS_AUDIO_DIR = Path(os.environ.get("BRIEFINGS_AUDIO_DIR", VAR_DIR / "briefs"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
