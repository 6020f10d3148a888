"""The whole pipeline with real processes: gunicorn, a Celery worker, PostgreSQL, a real broker."""

import subprocess
from datetime import timedelta
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from django.utils import timezone

from agents.models import AgentPhone
from integration.models import Call, RoutingSettings, Ticket, WebhookEvent
from integration.sandbox import CallScript
from tests.e2e import processes
from tests.factories import SECRET, signed

BROKERS = {
    "redis": ("redis://127.0.0.1:6379/14", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def stack_env(freshdesk, broker):
    broker_url, port = BROKERS[broker]
    processes.require(port, broker)
    return processes.service_env(
        DATABASE_URL=processes.database_url(),
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

    assert processes.wait_for(lambda: WebhookEvent.objects.filter(status="done").exists())
    assert len(freshdesk.tickets) == 1
    ticket = next(iter(freshdesk.tickets.values()))
    assert ticket["subject"] == "Missed call from +254712345678: callback required"
    assert ticket["tags"] == ["sautikit", "missed_call", "callback_needed"]


def test_answered_call_with_out_of_order_completion_gets_its_note(stack, freshdesk):
    post = lambda body: requests.post(f"{stack}/webhooks/sautikit/", json=body, timeout=5)  # noqa: E731
    post(signed("call.completed", "CAe2e2", duration_seconds=61))
    post(signed("call.answered", "CAe2e2"))

    assert processes.wait_for(lambda: WebhookEvent.objects.filter(status="done").count() == 2, timeout=90)
    ticket = next(iter(freshdesk.tickets.values()))
    notes = freshdesk.notes[ticket["id"]]
    assert [n["body_text"].strip() for n in notes] == [
        "Call ended. Duration: 61s. Cost: KES 0.00 (inbound calls are free; a recording is charged separately)."]


def test_simulated_missed_call_shows_its_ticket(stack, freshdesk):
    out = StringIO()
    call_command("simulate_call", "missed", url=stack, secret=SECRET, stdout=out)

    ticket = next(iter(freshdesk.tickets.values()))
    assert f"Ticket #{ticket['id']}: Missed call from +254712345678: callback required" in out.getvalue()
    assert "call.failed      done" in out.getvalue()


@pytest.fixture
def redis_stack(freshdesk):
    """The stack on one broker, for the stories (the brokers are compared above)."""
    env = stack_env(freshdesk, "redis")
    with processes.worker(env, name="e2e-worker-stories"), processes.web(env) as base_url:
        yield base_url


@pytest.fixture
def wanjiku(django_user_model):
    RoutingSettings.objects.create(business_hours="24/7")
    user = django_user_model.objects.create_user("admin", password="pw-stories-1", is_staff=True)
    return AgentPhone.objects.create(freshdesk_agent_id=101, name="Wanjiku Kamau", phone="+254711000001",
                                     available=True, user=user)


def test_routing_story_plays_the_call_to_its_end(redis_stack, freshdesk, wanjiku):
    out = StringIO()
    call_command("simulate_call", "routing", url=redis_stack, secret=SECRET, stdout=out)

    text = out.getvalue()
    assert "call.routing     → HTTP 200, voice actions:\n" in text
    assert '  dial      {"to": "+254711000001", "callerId": "+254203893800", "timeout": 25}\n' in text
    assert "Sautikit dials +254711000001; the agent answers and talks for 64 s." in text
    call = Call.objects.get()
    assert (call.status, call.agent, call.duration_seconds) == ("completed", wanjiku, 64)
    ticket = next(iter(freshdesk.tickets.values()))
    assert f"Ticket #{ticket['id']}: Inbound call from +254712345678" in text
    assert len(freshdesk.notes[ticket["id"]]) == 2


def test_callback_story_closes_the_callback_through_the_sautikit_stand_in(
        redis_stack, freshdesk, sautikit, wanjiku, settings):
    settings.SANDBOX_MODE = True
    settings.PUBLIC_BASE_URL = redis_stack  # the placed call's voice_callback_url
    sautikit.play_calls(CallScript(ring_seconds=0.2, talk_seconds=2), webhook_secret=SECRET)
    out = StringIO()

    call_command("simulate_call", "callback", url=redis_stack, secret=SECRET, stdout=out)

    text = out.getvalue()
    ticket = Ticket.objects.get(kind="callback")
    assert f"Ticket #{ticket.freshdesk_id}: Missed call from +254712345678: callback required" in text
    assert "2. Wanjiku Kamau calls back from the softphone." in text
    assert (ticket.callback_open, ticket.callback_done_by) == (False, "Wanjiku Kamau")
    assert f"ticket #{ticket.freshdesk_id} no longer has the callback_needed tag." in text
    assert freshdesk.tickets[ticket.freshdesk_id]["tags"] == ["sautikit", "missed_call"]
    assert [d["event"] for d in sautikit.deliveries] == ["call.answered", "call.completed", "recording.ready"]
    notes = [n["body_text"] for n in freshdesk.notes[ticket.freshdesk_id]]
    assert any("Callback done: Wanjiku Kamau called back" in n for n in notes)


def test_callback_story_refuses_outside_sandbox_mode(settings):
    settings.SANDBOX_MODE = False

    with pytest.raises(CommandError, match="runs in sandbox mode only"):
        call_command("simulate_call", "callback", url="http://127.0.0.1:9", secret=SECRET)


def test_events_stored_while_no_worker_runs_are_processed_when_one_starts(freshdesk):
    """The webhook needs neither broker nor worker: the workers' dispatchers publish what it stored."""
    env = stack_env(freshdesk, "redis")
    dead_broker = {**env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    with processes.web(dead_broker) as base_url:
        answer = requests.post(f"{base_url}/webhooks/sautikit/", json=signed("call.failed", "CAe2e3"),
                               timeout=10)
    assert answer.status_code == 202
    assert WebhookEvent.objects.get().status == "received"
    assert freshdesk.tickets == {}

    with processes.worker(env, name="e2e-worker-outbox"):
        assert processes.wait_for(lambda: WebhookEvent.objects.filter(status="done").exists())
    assert len(freshdesk.tickets) == 1


def test_an_event_whose_publishing_was_lost_is_processed_by_the_sweep(freshdesk):
    env = stack_env(freshdesk, "redis")
    with processes.web(env) as base_url:
        answer = requests.post(f"{base_url}/webhooks/sautikit/", json=signed("call.failed", "CAe2e4"),
                               timeout=10)
    assert answer.status_code == 202
    # As if a dispatcher had claimed it and died before the broker had it, two minutes ago.
    WebhookEvent.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))

    with processes.worker(env, name="e2e-worker-sweep"):
        subprocess.run([str(processes.BIN / "celery"), "-A", "sautidesk", "call",
                        "integration.tasks.requeue_stuck_events"], env=env, check=True,
                       cwd=processes.ROOT, capture_output=True)
        assert processes.wait_for(lambda: WebhookEvent.objects.filter(status="done").exists())
    assert len(freshdesk.tickets) == 1
