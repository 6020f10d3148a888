"""Logs of a whole call flow: one JSON object per line, ids as fields, never a secret.

The flow runs through the real webhook view, worker task and Freshdesk client
against the Freshdesk stand-in; every record is formatted by the JSON formatter
configured in settings.LOGGING, as production would print it.
"""

import base64
import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from tests.factories import signed

pytestmark = pytest.mark.django_db

RECORDING_URL = ("https://recordings.sautikit.example/CA-LOG-2.mp3"
                 "?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=9f86d081884c7d659a2feaa0c55ad015")
BROKER_PASSWORD = "broker-pass-7Qx"
METRICS_TOKEN = "metrics-token-3Zp"


def _configured_formatter():
    formatters = [h.formatter for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert formatters, "settings.LOGGING configures no JSON handler on the root logger"
    return formatters[0]


@pytest.fixture
def flow_log(caplog, client, settings, post_webhook, run_worker, freshdesk, dead_port):
    """Every log line of: a missed call, an answered call that completes and is recorded,
    a forged webhook, and a readiness probe while the broker is down."""
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.CELERY_BROKER_URL = f"redis://:{BROKER_PASSWORD}@127.0.0.1:{dead_port}/0"
    caplog.set_level(logging.DEBUG)
    bodies = [
        signed("call.failed", "CA-LOG-1", status="no-answer", **{"from": "0712000111"}),
        signed("call.answered", "CA-LOG-2", **{"from": "+254722000222"}),
        signed("call.completed", "CA-LOG-2", duration_seconds=61),
        signed("recording.ready", "CA-LOG-2", recording_url=RECORDING_URL, recording_duration_seconds=61),
    ]
    for body in bodies:
        assert post_webhook(body).status_code == 202
    forged = signed("call.failed", "CA-LOG-3", secret="not-the-secret")
    assert post_webhook(forged).status_code == 403
    run_worker()
    assert client.get("/readyz").status_code == 503
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").status_code == 200
    assert len(freshdesk.tickets) == 2

    formatter = _configured_formatter()
    records = [r for r in caplog.records if not r.name.startswith("integration.sandbox")]
    return {"lines": [formatter.format(r) for r in records], "signatures": [b["signature"] for b in bodies]}


SECRETS = {
    "sautikit_api_key": lambda settings, log: settings.SAUTIKIT_API_KEY,
    "webhook_secret": lambda settings, log: settings.SAUTIKIT_WEBHOOK_SECRET[0],
    "webhook_secret_rotated": lambda settings, log: settings.SAUTIKIT_WEBHOOK_SECRET[1],
    "freshdesk_api_key": lambda settings, log: settings.FRESHDESK_API_KEY,
    "freshdesk_basic_auth": lambda settings, log: base64.b64encode(
        f"{settings.FRESHDESK_API_KEY}:X".encode()).decode(),
    "django_secret_key": lambda settings, log: settings.SECRET_KEY,
    "metrics_token": lambda settings, log: METRICS_TOKEN,
    "broker_password": lambda settings, log: BROKER_PASSWORD,
    "webhook_signature": lambda settings, log: log["signatures"][0],
    "recording_url": lambda settings, log: RECORDING_URL,
    "recording_url_signature": lambda settings, log: "9f86d081884c7d659a2feaa0c55ad015",
    "recording_url_credential": lambda settings, log: "AKIAEXAMPLE",
}


@pytest.mark.parametrize("name", SECRETS)
def test_no_secret_in_the_logs(flow_log, settings, name):
    secret = SECRETS[name](settings, flow_log)
    assert secret, f"{name} is empty in the test settings: the check would prove nothing"

    leaking = [line for line in flow_log["lines"] if secret in line]

    assert leaking == []


def test_every_log_line_is_one_json_object(flow_log):
    assert len(flow_log["lines"]) > 10
    for line in flow_log["lines"]:
        assert "\n" not in line
        entry = json.loads(line)
        assert isinstance(entry, dict)
        assert {"time", "level", "logger", "message"} <= entry.keys()


def test_no_whole_payload_in_the_logs(flow_log):
    for line in flow_log["lines"]:
        entry = json.loads(line)
        assert "signature" not in entry and "signed_at" not in line
        assert "0712000111" not in line  # the number as the customer's phone sent it


def test_decisions_carry_the_call_and_event_ids(flow_log):
    entries = [json.loads(line) for line in flow_log["lines"]]

    stored = [e for e in entries if e["message"] == "webhook stored"]
    assert sorted(e["call_id"] for e in stored) == ["CA-LOG-1", "CA-LOG-2", "CA-LOG-2", "CA-LOG-2"]
    assert all(isinstance(e["event_id"], int) for e in stored)

    done = [e for e in entries if e["message"] == "event done"]
    assert {(e["call_id"], e["webhook_event"]) for e in done} == {
        ("CA-LOG-1", "call.failed"), ("CA-LOG-2", "call.answered"),
        ("CA-LOG-2", "call.completed"), ("CA-LOG-2", "recording.ready"),
    }
    assert {e["event_id"] for e in done} == {e["event_id"] for e in stored}

    refused = [e for e in entries if e["message"] == "webhook signature refused"]
    assert [e["call_id"] for e in refused] == ["CA-LOG-3"]

    freshdesk = [e for e in entries if e["message"] == "freshdesk response"]
    assert freshdesk and all(isinstance(e["freshdesk_status"], int) for e in freshdesk)
