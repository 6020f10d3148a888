"""The Freshdesk request budget: spent budget holds requests back, across worker processes."""

import subprocess
import sys

import pytest
import redis

from integration.models import WebhookEvent
from integration.clients.budget import take_freshdesk_token
from tests.e2e.processes import ROOT, reachable, service_env
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = "redis://127.0.0.1:6379/11"


def test_spent_budget_holds_the_request_back_without_using_an_attempt(post_webhook, run_worker,
                                                                      freshdesk, settings):
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 1
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


def test_budget_is_shared_by_every_worker_process(settings):
    if not reachable(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (CI starts it)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 2
    settings.FRESHDESK_RATE_LIMIT_STORAGE = REDIS_URL
    other_worker = ("import django; django.setup(); "
                    "from integration.clients.budget import take_freshdesk_token as take; "
                    "print(take(), take())")
    env = service_env(FRESHDESK_RATE_LIMIT_PER_MINUTE=2, FRESHDESK_RATE_LIMIT_STORAGE=REDIS_URL)
    out = subprocess.run([sys.executable, "-c", other_worker], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()

    assert out == ["0", "0"]  # the other process took the whole minute's budget
    assert take_freshdesk_token() > 0
