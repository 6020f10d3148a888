"""Failures an operator meets, with the real processes: a worker killed mid-create, a database outage.

gunicorn, Celery worker and beat run as deployed (prefork pool, time limits, the 15 s sweep),
on PostgreSQL and Redis; Freshdesk is the local stand-in. The database outage is a TCP relay
in front of the shared PostgreSQL server, cut and restored (tests/ops/relay.py): to SautiDesk
it looks like a restart or failover (connections dropped, new ones refused), and the other
users of that server are not disturbed.
"""

import threading
import time

import pytest
import redis
import requests

from integration.models import Call, WebhookEvent
from tests.e2e import processes
from tests.factories import SECRET, signed
from tests.ops.relay import Relay

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/10"  # apart from the other end-to-end tests' queues


def service_env(freshdesk, db_port=None, **overrides):
    processes.require()
    redis.Redis.from_url(REDIS_URL).flushdb()  # no task left over from an earlier run
    return processes.service_env(
        DATABASE_URL=processes.database_url(db_port),
        CELERY_BROKER_URL=REDIS_URL, FRESHDESK_RATE_LIMIT_STORAGE="memory://",
        FRESHDESK_BASE_URL=freshdesk.base_url, FRESHDESK_API_KEY=freshdesk.api_key,
        SAUTIKIT_WEBHOOK_SECRET=SECRET, CONN_MAX_AGE=0, **overrides,
    )


def all_done(count):
    return lambda: WebhookEvent.objects.filter(status="done").count() == count


def assert_one_ticket_per_call(freshdesk, calls):
    creates = [r for r in freshdesk.requests if r["method"] == "POST" and r["path"] == "/api/v2/tickets"]
    assert len(freshdesk.tickets) == calls, f"{len(freshdesk.tickets)} tickets for {calls} calls"
    assert len(creates) == calls
    for call in Call.objects.select_related("ticket"):
        assert f"Sautikit call ID: {call.call_id}" in freshdesk.tickets[call.ticket.freshdesk_id]["description_text"]


def test_a_worker_killed_mid_create_has_every_event_done_within_two_minutes_and_no_duplicate(
        freshdesk, tmp_path):
    # Production's 10 s read timeout: the creates are still waiting for Freshdesk when the worker dies.
    env = service_env(freshdesk, FRESHDESK_READ_TIMEOUT=10)
    freshdesk.slow_create(20, count=2)  # Freshdesk stores them 20 s later, whoever still waits
    with processes.web(env) as base_url, processes.beat(env, tmp_path, name="recovery-beat"):
        with processes.worker(env, name="recovery-worker-killed", own_group=True) as doomed:
            for n in range(4):
                answer = requests.post(f"{base_url}/webhooks/sautikit/", timeout=5, json=signed(
                    "call.failed", f"CA-KILL-{n}", status="no-answer", **{"from": f"+2547130000{n:02d}"}))
                assert answer.status_code == 202
            assert processes.wait_for(lambda: len([r for r in freshdesk.requests if r["method"] == "POST"]) == 2, 30)
            processes.kill_group(doomed)  # worker and its pool, mid-create
            killed_at = time.monotonic()
        assert WebhookEvent.objects.filter(status="processing").count() == 2

        with processes.worker(env, name="recovery-worker-new"):
            assert processes.wait_for(all_done(4), timeout=150), list(WebhookEvent.objects.values_list("status", "last_error"))
            recovered_in = time.monotonic() - killed_at

    print(f"\nkilled worker's events all done {recovered_in:.0f} s after the kill")
    assert recovered_in <= 120
    assert_one_ticket_per_call(freshdesk, 4)


def test_a_database_outage_under_load_answers_503_then_every_event_is_done_soon_after(freshdesk, tmp_path):
    calls, outage, rate = 200, 12.0, 10.0  # 3 s before the outage, 5 s after it
    answers, refused, lock = [], [], threading.Lock()

    def deliver(base_url, body):
        try:
            answer = requests.post(f"{base_url}/webhooks/sautikit/", json=body, timeout=10)
        except requests.RequestException as err:
            answer = err
        with lock:
            answers.append(answer)
            if not isinstance(answer, requests.Response) or answer.status_code >= 300:
                refused.append(body)  # Sautikit delivers it again later

    with Relay(5432) as database:
        env = service_env(freshdesk, db_port=database.port)
        with processes.web(env) as base_url, processes.worker(env, name="outage-worker"), \
                processes.beat(env, tmp_path, name="outage-beat"):
            bodies = [signed("call.failed", f"CA-PG-{n}", status="no-answer", **{"from": f"+2547140{n:05d}"})
                      for n in range(calls)]
            started = time.monotonic()
            for n, body in enumerate(bodies):
                if n == int(3 * rate):
                    database.cut()
                    cut_at = time.monotonic()
                if n == int((3 + outage) * rate):
                    database.restore()
                    back_at = time.monotonic()
                threading.Thread(target=deliver, args=(base_url, body)).start()
                time.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
            assert processes.wait_for(lambda: len(answers) == calls, 30)

            during = [a for a in answers if isinstance(a, requests.Response) and a.status_code >= 300]
            assert during, "the outage was not seen by any webhook"
            assert {a.status_code for a in during} == {503}
            assert all(a.headers.get("Retry-After") == "30" for a in during)
            assert all(isinstance(a, requests.Response) for a in answers), "a webhook got no answer"
            for body in list(refused):  # Sautikit's next delivery
                assert requests.post(f"{base_url}/webhooks/sautikit/", json=body, timeout=10).status_code in (200, 202)

            assert processes.wait_for(all_done(calls), timeout=120), list(
                WebhookEvent.objects.exclude(status="done").values_list("call_id", "status", "last_error"))
            done_after = time.monotonic() - back_at

    print(f"\n{len(during)} webhooks answered 503 during a {back_at - cut_at:.0f} s outage; "
          f"every event done {done_after:.0f} s after the database came back")
    assert not WebhookEvent.objects.filter(status="processing").exists()
    assert done_after <= 60
    assert_one_ticket_per_call(freshdesk, calls)
