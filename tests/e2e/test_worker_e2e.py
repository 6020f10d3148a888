"""The whole pipeline with real processes: gunicorn, a Celery worker, PostgreSQL, a real broker."""

import subprocess
import time
from datetime import timedelta
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from integration.models import WebhookEvent
from tests.e2e import processes
from tests.factories import SECRET, signed

BROKERS = {
    "redis": ("redis://127.0.0.1:6379/14", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def stack_env(freshdesk, broker):
    broker_url, port = BROKERS[broker]
    if connection.vendor != "postgresql":
        pytest.skip("end-to-end tests need PostgreSQL on 127.0.0.1:5432 (CI has it)")
    if not processes.reachable(port):
        pytest.skip(f"{broker} is not running on 127.0.0.1:{port} (CI starts it)")
    db = connection.settings_dict
    return processes.service_env(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=broker_url, FRESHDESK_BASE_URL=freshdesk.base_url,
        FRESHDESK_API_KEY=freshdesk.api_key, SAUTIKIT_WEBHOOK_SECRET=SECRET, CONN_MAX_AGE=0,
    )


@pytest.fixture(params=sorted(BROKERS))
def stack(request, freshdesk):
    env = stack_env(freshdesk, request.param)
    with processes.worker(env, name=f"e2e-worker-{request.param}"), processes.web(env) as base_url:
        yield base_url


def test_missed_call_through_real_processes_gives_one_callback_ticket(stack, freshdesk):
    body = signed("call.failed", "CAe2e1", status="no-answer", **{"from": "0712345678"})
    answers = [requests.post(f"{stack}/webhooks/sautikit/", json=body, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]

    assert wait_for(lambda: WebhookEvent.objects.filter(status="done").exists())
    assert len(freshdesk.tickets) == 1
    ticket = next(iter(freshdesk.tickets.values()))
    assert ticket["subject"] == "Missed call from +254712345678: callback required"
    assert ticket["tags"] == ["sautikit", "missed_call", "callback_needed"]


def test_answered_call_with_out_of_order_completion_gets_its_note(stack, freshdesk):
    post = lambda body: requests.post(f"{stack}/webhooks/sautikit/", json=body, timeout=5)  # noqa: E731
    post(signed("call.completed", "CAe2e2", duration_seconds=61))
    post(signed("call.answered", "CAe2e2"))

    assert wait_for(lambda: WebhookEvent.objects.filter(status="done").count() == 2, timeout=90)
    ticket = next(iter(freshdesk.tickets.values()))
    notes = freshdesk.notes[ticket["id"]]
    assert [n["body_text"].strip() for n in notes] == ["Call ended. Duration: 61s. Cost: KES 0.00."]


def test_simulated_missed_call_shows_its_ticket(stack, freshdesk):
    out = StringIO()
    call_command("simulate_call", "missed", url=stack, secret=SECRET, stdout=out)

    ticket = next(iter(freshdesk.tickets.values()))
    assert f"Ticket #{ticket['id']}: Missed call from +254712345678: callback required" in out.getvalue()
    assert "call.failed      done" in out.getvalue()


def test_event_accepted_while_the_broker_is_down_is_processed_by_the_sweep(freshdesk):
    env = stack_env(freshdesk, "redis")
    dead_broker = {**env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    with processes.web(dead_broker) as base_url:
        answer = requests.post(f"{base_url}/webhooks/sautikit/", json=signed("call.failed", "CAe2e3"),
                               timeout=10)
    assert answer.status_code == 202
    assert WebhookEvent.objects.get().status == "received"
    assert freshdesk.tickets == {}

    # A minute later the outbox sweep (a beat task) finds it and publishes it.
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=2))
    with processes.worker(env, name="e2e-worker-sweep"):
        subprocess.run([str(processes.BIN / "celery"), "-A", "sautidesk", "call",
                        "integration.tasks.requeue_stuck_events"], env=env, check=True,
                       cwd=processes.ROOT, capture_output=True)
        assert wait_for(lambda: WebhookEvent.objects.filter(status="done").exists())
    assert len(freshdesk.tickets) == 1
