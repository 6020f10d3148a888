"""The Freshdesk budget's rules on a simulated clock, the same in Redis and in process memory.

A simulated minute takes milliseconds, so what the budget does over minutes of a burst can be
checked exactly: how many requests go out in any 60 s, whether the reserve stays unused,
whether priority requests pass while bulk waits. (The real processes against the Freshdesk
stand-in are in test_ratelimit.py.)
"""

import heapq
import random

import pytest
import redis

from integration.clients import budget
from tests.e2e.processes import reachable

REDIS_URL = "redis://127.0.0.1:6379/9"
ACCOUNT = "acme.freshdesk.com"
HEADERS_600 = {"X-RateLimit-Total": "600", "X-RateLimit-Remaining": "599",
               "X-RateLimit-Used-CurrentRequest": "1"}


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["memory", "redis"])
def clock(request, settings, monkeypatch):
    """A simulated clock, with the budget kept in this process or in Redis (DB 9)."""
    if request.param == "redis":
        if not reachable(6379):
            pytest.skip("Redis is not running on 127.0.0.1:6379 (CI starts it)")
        redis.Redis.from_url(REDIS_URL).delete("sautidesk:freshdesk-budget:" + ACCOUNT)
    settings.FRESHDESK_RATE_LIMIT_STORAGE = REDIS_URL if request.param == "redis" else "memory://"
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 0
    settings.FRESHDESK_RATE_LIMIT_RESERVE = 0.2
    fake = Clock()
    monkeypatch.setattr(budget, "_storage", budget._Storage(clock=fake))
    yield fake
    budget.forget(ACCOUNT)


def drain(clock, bulk, seconds, priority_every=None, cost=1):
    """`bulk` tasks want one request each at once; each one held back comes back when told,
    as the processing state machine does (a promised slot exactly, any other wait with up to
    1 s of jitter). A priority request every `priority_every` s. Returns [(time, kind)] sent."""
    rng = random.Random(14)
    due = [(clock.now + i * 0.002, i, "bulk") for i in range(bulk)]
    if priority_every:
        due += [(clock.now + t, bulk + n, "priority")
                for n, t in enumerate(range(1, int(seconds), priority_every))]
    heapq.heapify(due)
    sent, end = [], clock.now + seconds
    while due and due[0][0] < end:
        clock.now, n, kind = heapq.heappop(due)
        wait, slot = budget.take_with_slot(ACCOUNT, priority=kind == "priority", queue=kind == "bulk")
        if wait:
            heapq.heappush(due, (clock.now + wait + (0 if slot else rng.uniform(0, 1)), n, kind))
            continue
        sent.append((clock.now, kind))
        budget.observe(ACCOUNT, {**HEADERS_600, "X-RateLimit-Used-CurrentRequest": str(cost)}, 200)
    return sent


def most_in_any_minute(sent):
    times = [t for t, _ in sent]
    return max((sum(1 for u in times[i:] if u < t + 60) for i, t in enumerate(times)), default=0)


def test_the_limit_is_learned_from_the_first_answer(clock):
    assert budget.status(ACCOUNT)["learned"] is None
    assert budget.take(ACCOUNT) == 0
    budget.observe(ACCOUNT, HEADERS_600, 200)

    status = budget.status(ACCOUNT)
    assert (status["learned"], status["limit"], status["allowed_per_minute"]) == (600, 600, 480)
    assert status["source"] == "Freshdesk's X-RateLimit-Total"


def test_a_burst_leaves_the_reserve_unused_and_drains_at_the_allowed_pace(clock):
    sent = drain(clock, bulk=1200, seconds=150, priority_every=20)

    assert most_in_any_minute(sent) <= 600 * (1 - 0.2)
    first_two_minutes = [t for t, _ in sent if t < sent[0][0] + 120]
    assert len(first_two_minutes) >= 0.95 * 2 * 480


def test_requests_costing_more_than_one_are_counted_at_their_cost(clock):
    sent = drain(clock, bulk=400, seconds=130, cost=2)

    assert 2 * most_in_any_minute(sent) <= 480 + 2  # the cost is learned after the request


def test_priority_requests_pass_while_bulk_ones_are_held_back(clock):
    budget.take(ACCOUNT)
    budget.observe(ACCOUNT, HEADERS_600, 200)
    while budget.take(ACCOUNT) == 0:  # bulk work takes all the room there is
        pass

    assert budget.take(ACCOUNT, priority=True, queue=False) == 0
    assert budget.take(ACCOUNT) > 0


def test_waiting_bulk_work_is_given_slots_one_interval_apart(clock):
    budget.take(ACCOUNT)
    budget.observe(ACCOUNT, HEADERS_600, 200)
    waits = [budget.take_with_slot(ACCOUNT) for _ in range(20)]
    promised = [wait for wait, slot in waits if slot][1:]  # the first may be raised to a minimum wait

    assert len(promised) >= 10
    gaps = {round(b - a, 3) for a, b in zip(promised, promised[1:])}
    assert gaps == {round(budget.pace_for(600).interval, 3)}


def test_bulk_work_is_promised_no_slot_beyond_the_horizon(clock):
    budget.take(ACCOUNT)
    budget.observe(ACCOUNT, HEADERS_600, 200)
    waits = [budget.take_with_slot(ACCOUNT) for _ in range(3000)]

    assert max(wait for wait, _ in waits) <= budget.HORIZON_SECONDS + 1
    assert waits[-1] == (budget.HORIZON_SECONDS + budget.SLOT_MARGIN, False)


def test_a_429_pauses_every_kind_of_request_until_retry_after(clock):
    budget.observe(ACCOUNT, {**HEADERS_600, "Retry-After": "30", "X-RateLimit-Remaining": "0"}, 429)

    assert 29 < budget.take(ACCOUNT) <= 31
    assert 29 < budget.take(ACCOUNT, priority=True, queue=False) <= 31
    clock.now += 31
    assert budget.take(ACCOUNT, priority=True, queue=False) == 0


def test_the_setting_overrides_what_freshdesk_says(clock, settings):
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 100
    budget.observe(ACCOUNT, HEADERS_600, 200)

    status = budget.status(ACCOUNT)
    assert (status["limit"], status["learned"], status["allowed_per_minute"]) == (100, 600, 80)
    assert status["source"] == "FRESHDESK_RATE_LIMIT_PER_MINUTE"
