"""`manage.py check --deploy` is clean with production settings (issue 7).

Run in a fresh process with only a production-like environment, as a server
would start: the test settings (DEBUG, test keys) must not leak into it.
"""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "sautidesk.settings",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "off",
    "ALLOWED_HOSTS": "sautidesk.example.co.ke",
    "CSRF_TRUSTED_ORIGINS": "https://sautidesk.example.co.ke",
    "SECURE_SSL_REDIRECT": "on",
    "TRUST_PROXY_HEADERS": "on",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "on",
    "SECURE_HSTS_PRELOAD": "on",
    "DATABASE_URL": "postgres://sautidesk:db-password@127.0.0.1:5432/sautidesk",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "SAUTIKIT_API_KEY": "sk_live_example",
    "SAUTIKIT_FROM_NUMBER": "+254203893800",
    "SAUTIKIT_WEBHOOK_SECRET": "whsec_live_example",
    "SAUTIKIT_API_URL": "https://api.sautikit.example",
    "FRESHDESK_DOMAIN": "example.freshdesk.com",
    "FRESHDESK_API_KEY": "fd_live_example",
    "PUBLIC_BASE_URL": "https://sautidesk.example.co.ke",
    "METRICS_TOKEN": secrets.token_urlsafe(32),
}


def deploy_check(**changes):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **PRODUCTION, **changes}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = deploy_check()

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("changes, warning", [
    ({"SECURE_SSL_REDIRECT": "off"}, "security.W008"),
    ({"SECURE_HSTS_SECONDS": None}, "security.W004"),
    ({"DEBUG": "on"}, "security.W018"),
    ({"SECRET_KEY": None}, "security.W009"),
], ids=["no-https-redirect", "no-hsts", "debug", "default-secret-key"])
def test_deploy_check_names_what_production_is_missing(changes, warning):
    result = deploy_check(**changes)

    assert result.returncode == 1
    assert warning in result.stderr
