"""The Freshdesk budget across real worker processes, against a stand-in that enforces a limit.

Nothing is configured but where the budget is shared (Redis DB 9): the limit comes from the
stand-in's X-RateLimit-Total, as from Freshdesk. The "other worker" is a second OS process
running the real client, as a Celery worker's pool process does. The budget's arithmetic
over simulated minutes is in test_budget_rules.py.
"""

import json
import subprocess
import sys
import time

import pytest
import redis

from agents.models import AgentPhone
from agents.sync import sync_agents
from integration.clients import budget
from integration.clients.freshdesk import FreshdeskClient, RateLimited
from integration.models import WebhookEvent
from integration.sandbox.freshdesk import FreshdeskSandbox
from tests.e2e.processes import ROOT, reachable, service_env
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = "redis://127.0.0.1:6379/9"
KEY = "fd_ratelimit_key"

# A worker process's requests, as its tasks send them: `seconds` of trying; a request held
# back waits what the budget says (if that fits) and tries again. Prints what happened.
WORKER = """
import json, sys, time
import django
django.setup()
from integration.clients.freshdesk import FreshdeskClient, RateLimited

seconds, sent, held, refused, waits = float(sys.argv[1]), 0, 0, 0, []
end = time.monotonic() + seconds
while True:
    try:
        FreshdeskClient.from_settings().me()
        sent += 1
    except RateLimited as err:
        if err.status == 429:
            refused += 1
        else:
            held += 1
        waits.append(err.retry_after)
        left = end - time.monotonic()
        if err.retry_after > left:
            break
        time.sleep(err.retry_after)
    if time.monotonic() >= end:
        break
print(json.dumps({"sent": sent, "held": held, "refused": refused, "waits": waits}))
"""


@pytest.fixture
def shared_budget(settings):
    if not reachable(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (CI starts it)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 0
    settings.FRESHDESK_RATE_LIMIT_STORAGE = REDIS_URL
    yield
    redis.Redis.from_url(REDIS_URL).flushdb()


class CountingFreshdesk(FreshdeskSandbox):
    """The stand-in, counting its answers by status (`refused`: its own 429s)."""

    refused = 0

    def handle(self, request):
        response = super().handle(request)
        self.refused += response.status == 429
        return response


def limited_freshdesk(settings, per_minute):
    """A Freshdesk stand-in with a per-minute limit, SautiDesk pointed at it."""
    server = CountingFreshdesk(api_key=KEY, rate_limit_per_minute=per_minute).start()
    settings.FRESHDESK_BASE_URL, settings.FRESHDESK_API_KEY = server.base_url, KEY
    return server


def start_worker(freshdesk, seconds):
    env = service_env(FRESHDESK_BASE_URL=freshdesk.base_url, FRESHDESK_API_KEY=KEY,
                      FRESHDESK_RATE_LIMIT_PER_MINUTE=0, FRESHDESK_RATE_LIMIT_STORAGE=REDIS_URL)
    return subprocess.Popen([sys.executable, "-c", WORKER, str(seconds)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(worker):
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    return json.loads(out)


def test_spent_budget_holds_the_request_back_without_using_an_attempt(post_webhook, run_worker,
                                                                      freshdesk, settings):
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 2  # the override: 1.6/min after the 20% reserve
    settings.FRESHDESK_RATE_LIMIT_STORAGE = "memory://"
    post_webhook(signed("call.failed", "CA400", **{"from": "+254712000001"}))
    post_webhook(signed("call.failed", "CA401", **{"from": "+254712000002"}))
    run_worker(max_rounds=1)

    assert len(freshdesk.requests) == 1
    held = WebhookEvent.objects.get(call_id="CA401")
    assert held.status == WebhookEvent.Status.RECEIVED
    assert held.attempts == 0
    assert "budget" in held.last_error
    assert 0 < (held.next_attempt_at - held.updated_at).total_seconds() <= 61


def test_the_limit_is_learned_without_configuration_and_shared_with_every_process(shared_budget,
                                                                                   settings):
    with limited_freshdesk(settings, per_minute=12) as freshdesk:
        first = finished(start_worker(freshdesk, seconds=0))
        status = budget.status(FreshdeskClient.from_settings().account)
        with pytest.raises(RateLimited) as held:
            FreshdeskClient.from_settings().me()

    assert first["sent"] == 1
    assert (status["learned"], status["source"], status["shared"]) == (12, "Freshdesk's X-RateLimit-Total", True)
    assert status["allowed_per_minute"] == pytest.approx(12 * 0.8)
    # Held back at the learned pace (12/min), much longer than the assumed 50/min would.
    assert held.value.status is None and held.value.retry_after > 60 / 40
    assert len(freshdesk.requests) == 1


def test_two_worker_processes_together_stay_under_the_limit_and_leave_the_reserve(shared_budget,
                                                                                  settings):
    with limited_freshdesk(settings, per_minute=600) as freshdesk:
        started = time.monotonic()
        workers = [start_worker(freshdesk, seconds=4) for _ in range(2)]
        results = [finished(worker) for worker in workers]
        elapsed = time.monotonic() - started
        sent = len(freshdesk.requests)
        refused = freshdesk.refused

    pace = budget.pace_for(600)
    assert refused == 0 and [r["refused"] for r in results] == [0, 0]
    assert all(r["sent"] > 0 and r["held"] > 0 for r in results)  # both worked, both were held back
    assert sent == sum(r["sent"] for r in results)
    # The whole run fits in one 60 s window of the stand-in: the reserve was never touched,
    assert sent <= 600 * (1 - 0.2)
    # and together they went no faster than one shared pace (the burst, then one per interval;
    # each process alone at that pace would have sent about twice this).
    assert sent <= pace.burst + pace.priority_extra + elapsed / pace.interval + 2


def test_a_429_pauses_every_worker_process(shared_budget, settings):
    with limited_freshdesk(settings, per_minute=600) as freshdesk:
        freshdesk.fail_next(429, headers={"Retry-After": "30"})
        other = finished(start_worker(freshdesk, seconds=0))
        with pytest.raises(RateLimited) as bulk:
            FreshdeskClient.from_settings().me()
        with pytest.raises(RateLimited) as priority:
            FreshdeskClient.from_settings(priority=True).me()

    assert other["refused"] == 1
    assert len(freshdesk.requests) == 1  # neither of ours reached Freshdesk
    assert bulk.value.status is None and 25 < bulk.value.retry_after <= 31
    assert priority.value.status is None and 25 < priority.value.retry_after <= 31


def test_routing_refresh_passes_while_bulk_requests_are_held_back(shared_budget, settings):
    with limited_freshdesk(settings, per_minute=12) as freshdesk:
        freshdesk.add_agent(id=7, name="Wanjiku", mobile="+254711000001")
        finished(start_worker(freshdesk, seconds=0))  # another worker spent the bulk room
        with pytest.raises(RateLimited) as before:
            FreshdeskClient.from_settings().me()
        result = sync_agents()  # what routing's availability refresh runs (priority)
        with pytest.raises(RateLimited) as after:
            FreshdeskClient.from_settings().me()
        refused = freshdesk.refused

    assert result.created == 1 and AgentPhone.objects.get().name == "Wanjiku"
    assert refused == 0
    # The refresh went ahead of the bulk request, and still counted against the budget.
    assert after.value.retry_after > before.value.retry_after


def test_with_redis_unreachable_a_worker_paces_alone_and_says_so(settings, caplog):
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 0
    settings.FRESHDESK_RATE_LIMIT_STORAGE = "redis://127.0.0.1:1/0"  # nothing listens there
    with limited_freshdesk(settings, per_minute=12) as freshdesk:
        FreshdeskClient.from_settings().me()  # sent, and the limit learned, in this process only
        status = budget.status(FreshdeskClient.from_settings().account)
        with pytest.raises(RateLimited) as held:
            FreshdeskClient.from_settings().me()

    assert len(freshdesk.requests) == 1 and freshdesk.refused == 0
    assert (status["learned"], status["shared"]) == (12, False)
    assert held.value.status is None and held.value.retry_after > 60 / 40
    assert "freshdesk budget: redis unreachable" in caplog.text
