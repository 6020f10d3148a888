"""manage.py doctor and check: every misconfiguration is named, with what to do."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

pytestmark = pytest.mark.django_db


def doctor():
    out = StringIO()
    try:
        call_command("doctor", stdout=out)
    except CommandError as err:
        return out.getvalue(), err
    return out.getvalue(), None


def test_doctor_passes_and_prints_the_webhook_url(freshdesk, sautikit):
    output, error = doctor()

    assert error is None, output
    assert "Paste this webhook URL into the Sautikit workspace: https://sautidesk.example.co.ke/webhooks/sautikit/" in output
    assert "FRESHDESK_API_KEY works" in output
    assert "SAUTIKIT_API_KEY accepted" in output


@pytest.mark.parametrize("name,value,expected", [
    ("SAUTIKIT_WEBHOOK_SECRET", [], "SAUTIKIT_WEBHOOK_SECRET is not set"),
    ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL is not set"),
    ("PUBLIC_BASE_URL", "http://sautidesk.example.co.ke", "must reach SautiDesk over https://"),
    ("FRESHDESK_API_KEY", "", "FRESHDESK_API_KEY is not set"),
    ("FRESHDESK_API_KEY", "wrong-key", "FRESHDESK_API_KEY was refused by Freshdesk"),
    ("SAUTIKIT_API_KEY", "wrong-key", "SAUTIKIT_API_KEY was refused by Sautikit"),
    ("SAUTIKIT_API_KEY", "", "SAUTIKIT_API_KEY is not set"),
    ("SAUTIKIT_FROM_NUMBER", "020 abc", "SAUTIKIT_FROM_NUMBER '020 abc' is not an E.164 number"),
])
def test_doctor_names_each_misconfiguration(freshdesk, sautikit, settings, name, value, expected):
    setattr(settings, name, value)

    output, error = doctor()

    assert error is not None
    assert expected in output


def test_doctor_reports_an_unreachable_freshdesk(sautikit, settings):
    settings.FRESHDESK_BASE_URL = "http://127.0.0.1:9"

    output, error = doctor()

    assert error is not None
    assert "did not answer as expected" in output


@pytest.mark.parametrize("name", ["SAUTIKIT_WEBHOOK_SECRET", "SAUTIKIT_API_KEY", "FRESHDESK_API_KEY"])
def test_check_names_a_missing_secret(settings, name):
    setattr(settings, name, [] if name == "SAUTIKIT_WEBHOOK_SECRET" else "")

    with pytest.raises(SystemCheckError, match=f"{name} is not set"):
        call_command("check")


def test_check_names_unreadable_business_hours(settings):
    settings.BUSINESS_HOURS = "weekdays 9 to 5"

    with pytest.raises(SystemCheckError, match="BUSINESS_HOURS cannot be read"):
        call_command("check")


def test_check_warns_when_limits_would_be_counted_per_process(settings):
    """Only sandbox mode and tests may keep per-user limits in each process's memory."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    out = StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "sautidesk.W021" in out.getvalue()

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/2"}}
    out = StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "sautidesk.W021" not in out.getvalue()
