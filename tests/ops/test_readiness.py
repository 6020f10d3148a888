"""/healthz says the process answers; /readyz says whether tickets are still flowing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import Heartbeat, WebhookEvent
from tests.factories import signed
from tests.e2e.processes import reachable

pytestmark = pytest.mark.django_db

REAL_BROKERS = [
    pytest.param("redis://127.0.0.1:6379/0", 6379, id="redis"),
    pytest.param("amqp://guest:guest@127.0.0.1:5672//", 5672, id="rabbitmq"),
]


def readiness(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_ready_when_database_broker_worker_and_beat_answer(client, heartbeats):
    status, report = readiness(client)

    assert status == 200, report
    assert report["ready"] is True and report["problems"] == []
    assert report["database"]["ok"] and report["broker"]["ok"]
    assert report["pending_events"] == 0 and report["oldest_pending_age_seconds"] == 0
    assert report["failed_events"] == 0
    for name in ("beat", "worker"):
        assert 0 <= report["heartbeats"][name]["age_seconds"] < 5


@pytest.mark.parametrize("broker_url, port", REAL_BROKERS)
def test_ready_on_a_real_broker(client, heartbeats, settings, broker_url, port):
    if not reachable(port):
        pytest.skip(f"no broker listening on 127.0.0.1:{port}")
    settings.CELERY_BROKER_URL = broker_url

    status, report = readiness(client)

    assert status == 200, report


@pytest.mark.parametrize("scheme", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_not_ready_when_the_broker_is_down_and_ready_again_when_it_returns(
        client, heartbeats, settings, dead_port, scheme):
    settings.CELERY_BROKER_URL = scheme.format(port=dead_port)

    status, report = readiness(client)

    assert status == 503
    assert report["ready"] is False
    assert report["broker"]["ok"] is False
    assert "broker does not answer" in report["problems"]
    assert "guest" not in str(report) and str(dead_port) not in str(report)  # no URL, no password

    settings.CELERY_BROKER_URL = "memory://"
    assert readiness(client)[0] == 200


def test_liveness_stays_up_when_the_broker_is_down(client, settings, dead_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{dead_port}/0"

    response = client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_not_ready_when_an_event_has_waited_too_long(client, heartbeats, post_webhook, settings):
    post_webhook(signed("call.failed", "CA-OPS-OLD", status="no-answer"))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))

    status, report = readiness(client)

    assert status == 503
    assert report["pending_events"] == 1
    assert report["oldest_pending_age_seconds"] >= 600
    assert report["problems"] == [f"oldest pending event is older than {settings.READINESS_MAX_PENDING_AGE}s"]


def test_a_recent_pending_event_does_not_make_it_unready(client, heartbeats, post_webhook):
    post_webhook(signed("call.failed", "CA-OPS-NEW", status="no-answer"))

    status, report = readiness(client)

    assert status == 200, report
    assert report["pending_events"] == 1


def test_not_ready_when_the_worker_stopped_beating(client, heartbeats):
    Heartbeat.objects.filter(name="worker").update(at=timezone.now() - timedelta(minutes=5))

    status, report = readiness(client)

    assert status == 503
    assert report["problems"] == ["worker heartbeat is older than 120s"]
    assert report["heartbeats"]["worker"]["age_seconds"] >= 300
    assert report["heartbeats"]["beat"]["age_seconds"] < 5


def test_not_ready_before_any_heartbeat(client):
    status, report = readiness(client)

    assert status == 503
    assert report["problems"] == ["no beat heartbeat yet", "no worker heartbeat yet"]
    assert report["heartbeats"]["beat"] == {"at": None, "age_seconds": None}


def test_failed_events_are_counted_but_do_not_stop_the_pipeline(client, heartbeats, post_webhook):
    post_webhook(signed("call.failed", "CA-OPS-FAIL", status="no-answer"))
    WebhookEvent.objects.update(status=WebhookEvent.Status.FAILED, last_error="Freshdesk refused")

    status, report = readiness(client)

    assert status == 200, report
    assert report["failed_events"] == 1
