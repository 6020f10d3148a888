"""Test defaults, set as environment before the real settings read it.

PostgreSQL is used when it answers on 127.0.0.1:5432 (CI always has it), so the
suite exercises the production engine: its text and length rules differ from
SQLite's. In-process tests publish to kombu's in-memory broker; the end-to-end
tests start real workers on Redis and RabbitMQ.
"""

import os
import socket


def _reachable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


TEST_ENV = {
    "SECRET_KEY": "test-secret-key",
    "SAUTIKIT_WEBHOOK_SECRET": "whsec_test_5f2b9c,whsec_old_rotated",
    "SAUTIKIT_API_KEY": "sk_test_never_in_pages",
    "SAUTIKIT_API_URL": "http://127.0.0.1:9/",
    "SAUTIKIT_FROM_NUMBER": "+254203893800",
    # Where the tests' recording links live; any other host is refused (integration/recordings.py).
    "SAUTIKIT_RECORDING_HOSTS": ".sautikit.example",
    "FRESHDESK_DOMAIN": "sautidesk-test.freshdesk.com",
    "FRESHDESK_API_KEY": "fd_test_key",
    "FRESHDESK_BASE_URL": "http://127.0.0.1:9",
    "PUBLIC_BASE_URL": "https://sautidesk.example.co.ke",
    "CELERY_BROKER_URL": "memory://",
    "FRESHDESK_READ_TIMEOUT": "2",
    "SAUTIKIT_READ_TIMEOUT": "2",
    # A .env that ./scripts/run wrote for sandbox mode must not turn the tests into a sandbox.
    "SANDBOX_MODE": "off",
}
for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)
if "DATABASE_URL" not in os.environ and _reachable(5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/" + os.environ.get(
        "SAUTIDESK_TEST_DB", "sautidesk"
    )

from sautidesk.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
