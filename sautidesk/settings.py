"""SautiDesk settings: the one place that reads the environment (DESIGN §2).

Every value comes from an environment variable or a `.env` file in the project
directory, read with django-environ. Code elsewhere reads `django.conf.settings`
at call time. Required secrets are checked by `integration.ops.checks`, so a missing
one is a `manage.py check` error naming the variable, not a traceback later.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- Django ---------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# No default key in production: an unset SECRET_KEY is reported by the deploy check.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "integration",
    "agents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sautidesk.urls"
WSGI_APPLICATION = "sautidesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A new PostgreSQL connection per request costs more than the webhook insert itself.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share the file: wait for the other's write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Africa/Nairobi"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Agents are not staff, so they sign in on the softphone's page, not the admin's.
LOGIN_URL = "/softphone/login/"
LOGIN_REDIRECT_URL = "/softphone/"

# TLS normally ends at the reverse proxy: only act on it when told to.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if env.bool("TRUST_PROXY_HEADERS", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
# HSTS is sent only over HTTPS; start low (e.g. 3600) and raise to 31536000 once TLS is settled.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# /api/schema/: only the contract's endpoints (DESIGN §6), annotated in integration/openapi.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "SautiDesk",
    "DESCRIPTION": "Sautikit webhook intake and the softphone's click-to-call API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["integration.ops.openapi.contract_endpoints_only"],
}

# --- Sautikit and Freshdesk (DESIGN §2) ----------------------------------------------

SAUTIKIT_API_KEY = env.str("SAUTIKIT_API_KEY", default="")
SAUTIKIT_FROM_NUMBER = env.str("SAUTIKIT_FROM_NUMBER", default="")
SAUTIKIT_WEBHOOK_SECRET = env.list("SAUTIKIT_WEBHOOK_SECRET", default=[])
SAUTIKIT_API_URL = env.str("SAUTIKIT_API_URL", default="").rstrip("/")
FRESHDESK_DOMAIN = env.str("FRESHDESK_DOMAIN", default="")
FRESHDESK_API_KEY = env.str("FRESHDESK_API_KEY", default="")
FRESHDESK_BASE_URL = env.str("FRESHDESK_BASE_URL", default="").rstrip("/")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
BUSINESS_HOURS = env.str("BUSINESS_HOURS", default="mon-fri 08:00-18:00")

# A missed call from a number whose callback ticket is open, and was opened within this
# window, becomes a note on that ticket instead of a new ticket.
CALLBACK_FOLD_WINDOW = timedelta(hours=env.float("CALLBACK_FOLD_WINDOW_HOURS", default=72))
# Seconds either side of now that a webhook's signed_at may be (DESIGN §3).
SAUTIKIT_SIGNATURE_TOLERANCE = 300
# Bodies above this are refused before parsing (RELIABILITY: cap before parse).
SAUTIKIT_WEBHOOK_MAX_BYTES = 64 * 1024
# Freshdesk HTTP timeouts: (connect, read) seconds.
FRESHDESK_TIMEOUT = (3.05, env.float("FRESHDESK_READ_TIMEOUT", default=10))
SAUTIKIT_TIMEOUT = (3.05, env.float("SAUTIKIT_READ_TIMEOUT", default=10))

# Requests a minute that all workers together send to Freshdesk (0: no budget of our own,
# only Freshdesk's 429s). Set it a little under the plan's limit (Growth 200, Pro 400).
FRESHDESK_RATE_LIMIT_PER_MINUTE = env.int("FRESHDESK_RATE_LIMIT_PER_MINUTE", default=0)

# --- Operations: readiness, metrics, retention (docs/deploy.md) -------------------------

# /readyz answers 503 when the oldest event not yet done, or a heartbeat, is older than these.
READINESS_MAX_PENDING_AGE = env.int("READINESS_MAX_PENDING_AGE", default=300)
READINESS_MAX_HEARTBEAT_AGE = env.int("READINESS_MAX_HEARTBEAT_AGE", default=120)
READINESS_BROKER_TIMEOUT = env.float("READINESS_BROKER_TIMEOUT", default=2)
# Bearer token for /metrics (staff logins may read it too); empty: staff only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Raw webhook payloads (customers' numbers) of finished events are emptied after this.
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=90)

# --- Celery ---------------------------------------------------------------------------

# The embedded default needs no server: kombu's filesystem transport under var/.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    # The filesystem transport does not create its folders itself.
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Fail fast when the broker is down: the webhook is committed and answered
    # anyway, and the outbox sweep publishes it later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# The shared Freshdesk budget must be shared: Redis when the broker is Redis.
FRESHDESK_RATE_LIMIT_STORAGE = env.str(
    "FRESHDESK_RATE_LIMIT_STORAGE",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "memory://",
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through Django's LOGGING (JSON lines), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-webhook-events": {
        "task": "integration.tasks.requeue_stuck_events",
        "schedule": 60.0,
    },
    # Routing reads availability from the AgentPhone rows this refreshes (issue 4).
    "refresh-agent-availability": {
        "task": "agents.tasks.refresh_availability",
        "schedule": 20.0,
        # Behind a long queue, runs are dropped after a minute rather than piling up (at
        # most three wait); a shorter expiry would starve the refresh under a backlog.
        "options": {"expires": 60},
    },
    # Team names and deleted groups; new groups are fetched as soon as an agent is in one.
    "refresh-teams": {
        "task": "agents.tasks.refresh_teams",
        "schedule": 600.0,
        "options": {"expires": 300},
    },
    # Readiness (/readyz) reads when beat last sent this and a worker last ran it.
    "heartbeat": {
        "task": "integration.ops_tasks.heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "prune-webhook-payloads": {
        "task": "integration.ops_tasks.prune_payloads",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Logging --------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # One JSON object per line; fields passed with `extra=` become keys.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"celery_task": {"()": "sautidesk.logfilters.CeleryTaskFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["celery_task"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Requests' own debug lines would print full (presigned) URLs.
        "urllib3": {"level": "WARNING"},
    },
}
