"""SautiDesk settings: the one place that reads the environment (contract §2).

Every value comes from an environment variable or a `.env` file in the project
directory, read with django-environ. Code elsewhere reads `django.conf.settings`
at call time. Required secrets are checked by `integration.ops.checks`, so a missing
one is a `manage.py check` error naming the variable, not a traceback later.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- Django ---------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# Only sandbox mode and DEBUG may run on this known key: anywhere else an unset SECRET_KEY is
# a `manage.py check` error naming it (integration/ops/checks.py), and so stops `migrate`.
INSECURE_SECRET_KEY = "insecure-sandbox-key-set-SECRET_KEY-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or INSECURE_SECRET_KEY
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
    "agents.apps.LoginLockoutConfig",  # django-axes
    "csp",
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
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
# Times shown with their zone everywhere, the admin included: sautidesk/formats/en_GB.
FORMAT_MODULE_PATH = ["sautidesk.formats"]
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

# Password guessing (docs/security.md): django-axes counts failed logins on /admin/login/ and
# /softphone/login/ by username + client address; at the limit that pair is locked out until
# the cool-off passes or a supervisor unlocks it (Admin → Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
_lockout_minutes = env.int("LOGIN_LOCKOUT_MINUTES", default=30)  # 0: until a supervisor unlocks
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "agents.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "agents.lockout.locked_out"

# TLS normally ends at the reverse proxy: only act on it when told to.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Also makes the login lockout read the client's address from X-Forwarded-For (agents/lockout.py).
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
# HSTS is sent only over HTTPS; start low (e.g. 3600) and raise to 31536000 once TLS is settled.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Our pages load nothing from elsewhere: scripts and styles come from this site, or are inline
# with the request's nonce (`<script nonce="{{ request.csp_nonce }}">`); no inline handlers,
# no style="" attributes. An injected <script> or style does not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# /api/schema/: only the contract's endpoints (contract §6), annotated in integration/ops/openapi.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "SautiDesk",
    "DESCRIPTION": "Sautikit webhook intake and the softphone's click-to-call API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["integration.ops.openapi.contract_endpoints_only"],
}

# --- Sautikit and Freshdesk (contract §2) ----------------------------------------------

SAUTIKIT_API_KEY = env.str("SAUTIKIT_API_KEY", default="")
SAUTIKIT_FROM_NUMBER = env.str("SAUTIKIT_FROM_NUMBER", default="")
SAUTIKIT_WEBHOOK_SECRET = env.list("SAUTIKIT_WEBHOOK_SECRET", default=[])
SAUTIKIT_API_URL = env.str("SAUTIKIT_API_URL", default="").rstrip("/")
FRESHDESK_DOMAIN = env.str("FRESHDESK_DOMAIN", default="")
FRESHDESK_API_KEY = env.str("FRESHDESK_API_KEY", default="")
FRESHDESK_BASE_URL = env.str("FRESHDESK_BASE_URL", default="").rstrip("/")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# On: the Freshdesk and Sautikit above are the local stand-ins `manage.py sandbox` runs.
# scripts/run writes it into .env, with the stand-ins' URLs and keys, on a machine with no
# credentials, so that every manage.py command, in any terminal, runs in the same mode.
SANDBOX_MODE = env.bool("SANDBOX_MODE", default=False)
# Hosts besides SAUTIKIT_API_URL's that may serve recording links (https only); ".example.com"
# also allows its subdomains. Any other recording_url is kept out of notes and flagged.
SAUTIKIT_RECORDING_HOSTS = env.list("SAUTIKIT_RECORDING_HOSTS", default=[])
BUSINESS_HOURS = env.str("BUSINESS_HOURS", default="mon-fri 08:00-18:00")

# A missed call from a number whose callback ticket is open, and was opened within this
# window, becomes a note on that ticket instead of a new ticket.
CALLBACK_FOLD_WINDOW = timedelta(hours=env.float("CALLBACK_FOLD_WINDOW_HOURS", default=72))
# Seconds either side of now that a webhook's signed_at may be (contract §3).
SAUTIKIT_SIGNATURE_TOLERANCE = 300
# Bodies above this are refused before parsing (RELIABILITY: cap before parse).
SAUTIKIT_WEBHOOK_MAX_BYTES = 64 * 1024
# Freshdesk HTTP timeouts: (connect, read) seconds.
FRESHDESK_TIMEOUT = (3.05, env.float("FRESHDESK_READ_TIMEOUT", default=10))
SAUTIKIT_TIMEOUT = (3.05, env.float("SAUTIKIT_READ_TIMEOUT", default=10))

# --- Outbound calls: where to and how much (docs/security.md) ---------------------------

# ISO 3166 codes of the countries the softphone may call; special-tariff and satellite
# numbers are refused whatever the country (agents/destinations.py).
OUTBOUND_COUNTRIES = env.list("OUTBOUND_COUNTRIES", default=["KE"])
# Daily caps on outbound spend in KES, Nairobi day (agents/spend.py); supervisors' values in
# Admin → Calling limits win. 0: no cap.
OUTBOUND_DAILY_CAP_AGENT_KES = env.float("OUTBOUND_DAILY_CAP_AGENT_KES", default=1000)
OUTBOUND_DAILY_CAP_COMPANY_KES = env.float("OUTBOUND_DAILY_CAP_COMPANY_KES", default=10000)

# How long after it was sent a ticket create may still be stored by Freshdesk although we got
# no answer (a timeout, a 5xx): until then a call whose create is unsure waits instead of
# creating again (docs/reliability.md). Longer than any create Freshdesk is known to finish.
FRESHDESK_CREATE_SETTLE_SECONDS = env.int("FRESHDESK_CREATE_SETTLE_SECONDS", default=300)

# Freshdesk's per-minute limit is learned from its answers (X-RateLimit-Total); this overrides
# it (0: learn it). Either way all workers together send at most limit × (1 − reserve) a
# minute, paced, and the reserve is left to the account's other apps (integration/clients/budget.py).
FRESHDESK_RATE_LIMIT_PER_MINUTE = env.int("FRESHDESK_RATE_LIMIT_PER_MINUTE", default=0)
FRESHDESK_RATE_LIMIT_RESERVE = env.float("FRESHDESK_RATE_LIMIT_RESERVE", default=0.2)

# --- Operations: readiness, metrics, retention (docs/deploy.md) -------------------------

# /readyz answers 503 when the oldest event not yet done, or a heartbeat, is older than these.
READINESS_MAX_PENDING_AGE = env.int("READINESS_MAX_PENDING_AGE", default=300)
READINESS_MAX_HEARTBEAT_AGE = env.int("READINESS_MAX_HEARTBEAT_AGE", default=120)
READINESS_BROKER_TIMEOUT = env.float("READINESS_BROKER_TIMEOUT", default=2)
# Bearer token for /metrics (logins with the view_metrics permission may read it too);
# empty: only those logins.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A Celery worker's own Prometheus endpoint (http://ADDRESS:PORT/metrics, same bearer token):
# its pool's process counters, for worker hosts the web's /metrics cannot see. 0: off. Give each
# worker on a host its own port (on its command line or unit); a taken port is logged, not fatal.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
# Loopback by default: a scraper on another host needs e.g. the private address, or 0.0.0.0
# behind a firewall that lets only Prometheus in (plain HTTP: the token crosses that network).
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="127.0.0.1")
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
        # Broadcast (worker control) bindings; kombu's default is ./control, in the checkout.
        "control_folder": str(_broker_dir / "control"),
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
# The Freshdesk budget (learned limit, pacing, a 429's pause) must be shared by every worker:
# Redis when the broker is Redis; memory:// is this process only.
FRESHDESK_RATE_LIMIT_STORAGE = env.str(
    "FRESHDESK_RATE_LIMIT_STORAGE",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "memory://",
)

# The cache holds per-user limits (the call throttle), so it must be one that every web
# process shares: Redis whenever there is a Redis URL (CACHE_URL, else a Redis broker's).
# Without one it is each process's memory, fine for sandbox mode and tests only (a system
# check says so). SautiDesk never clears it: on a shared Redis database that would flush
# the broker's queues too.
CACHE_URL = env.str(
    "CACHE_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "locmemcache://",
)
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
CACHES["default"]["KEY_PREFIX"] = "sautidesk"
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis outage must not hang a request: the throttle then lets calls through (and logs).
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=1, socket_timeout=1)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through Django's LOGGING (JSON lines), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # The outbox sweep; also what re-runs a killed worker's events once their 75 s lease is
    # out, so its period adds to that recovery time (docs/reliability.md).
    "requeue-stuck-webhook-events": {
        "task": "integration.tasks.requeue_stuck_events",
        "schedule": 15.0,
        "options": {"expires": 15},
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
        # django-axes logs every login in its own format; agents.lockout logs the lockouts.
        "axes": {"level": "WARNING"},
    },
}
