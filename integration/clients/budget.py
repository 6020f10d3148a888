"""One Freshdesk request budget shared by every worker process, learned from Freshdesk itself.

    wait = take(account)                  # 0: send now; else seconds to wait, nothing sent
    observe(account, response.headers, response.status_code)   # after every answer
    take(account, priority=True)          # routing data and supervisors' actions go first

Freshdesk's per-minute limit is per account, shared with the account's other apps (the
email channel, a CRM sync), and every answer states it (`X-RateLimit-Total`, with
`X-RateLimit-Remaining` and the cost of the request, `X-RateLimit-Used-CurrentRequest`);
a 429 says when to come back (`Retry-After`). https://developers.freshdesk.com/api/#ratelimit

* The limit is learned from those headers: nothing to configure.
  FRESHDESK_RATE_LIMIT_PER_MINUTE overrides it. Until an answer has taught it, a low pace
  (ASSUMED_LIMIT) is kept: the first answer comes within a request or two.
* We use limit × (1 − FRESHDESK_RATE_LIMIT_RESERVE): the rest is left to the other apps.
* Requests are paced (GCRA: one "theoretical arrival time" per account, advanced by one
  interval per request, with a small burst), so a burst of work never reaches a 429.
  In any 60 s, at most the allowed share is sent, bursts included (`Pace`).
* A request that finds no room is not sent: the caller gets the seconds to wait (never a
  sleep inside a task). Bulk work is also given its own future slot (`next`), so 1,000
  waiting tasks come back one interval apart instead of all at once and each finds room.
* Priority requests (routing's availability refresh, supervisors' admin actions, a screen
  pop) have a larger burst: they go ahead of the queue, and still count against it. A
  request that follows a granted one in the same piece of work gets that burst too, so
  started work finishes instead of being undone and queued again.
* A 429 anyway (another app took more than the reserve) pauses every worker until its
  Retry-After, not only the one that got it.

The state is shared through Redis when FRESHDESK_RATE_LIMIT_STORAGE is a Redis URL (the
broker's, by default), else kept in this process (`budget_state.py`). If Redis does not
answer, this process falls back to its own memory for FALLBACK_SECONDS and says so in the
log: a task is held back by a rough local budget rather than failed.
"""

import logging
import math
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .budget_state import MemoryState, RedisState

logger = logging.getLogger(__name__)

# Freshdesk's smallest per-minute limit, assumed until an answer states the real one.
ASSUMED_LIMIT = 50
# Bulk work is promised a slot at most this far ahead; beyond it, it is told to come back in
# this long with no slot (well under the processing retry cap, machine.BACKOFF_CAP).
HORIZON_SECONDS = 300
# After Redis failed, this process keeps its own budget this long before trying Redis again.
FALLBACK_SECONDS = 10
# A retry lands a little after its slot rather than a little before (clocks, timers).
SLOT_MARGIN = 0.01


@dataclass(frozen=True)
class Pace:
    """How fast we send for an account limit of `limit` requests a minute.

    GCRA lets `burst` requests go at once and then one every `interval` s, so in any 60 s it
    sends at most rate + burst − 1: the rate is the allowed share minus the largest burst
    (priority's). At 600/min with a 20% reserve: 480 allowed, burst 2 (priority 4), 477/min.
    Every burst request costs the steady rate one a minute, so bursts are kept small: bulk's
    second one only absorbs a retry that lands a little late, and priority's two more are
    enough for a routing refresh or an admin action, and are back within two intervals.
    """

    limit: float
    reserve: float

    @property
    def allowed(self):
        return self.limit * (1 - self.reserve)

    @property
    def burst(self):
        return 2 if self.allowed >= 60 else 1

    @property
    def priority_extra(self):
        if self.allowed < 3:
            return 0
        return 2 if self.allowed >= 60 else 1

    @property
    def per_minute(self):
        return self.allowed - (self.burst + self.priority_extra - 1)

    @property
    def interval(self):
        return 60.0 / self.per_minute

    def tolerance(self, priority):
        return (self.burst - 1 + (self.priority_extra if priority else 0)) * self.interval


class _Storage:
    """This process's view of the state: Redis (with its fallback) or memory."""

    def __init__(self, clock=None):
        self.clock = clock  # None: the real one (Redis's TIME); simulations pass their own
        self.url, self.redis, self.redis_down_until = None, None, 0.0
        self.memory = MemoryState(clock)
        self.limits = {}  # account → the stored limit this process last saw (0: unknown)

    def state(self):
        url = settings.FRESHDESK_RATE_LIMIT_STORAGE
        if url != self.url:
            self.url = url
            self.redis = RedisState(url, self.clock) if url.startswith(("redis://", "rediss://", "unix://")) else None
        if self.redis is None or time.monotonic() < self.redis_down_until:
            return self.memory
        return self.redis

    def run(self, action, operation):
        """`operation(state)` on the shared state; if Redis fails, on this process's memory."""
        state = self.state()
        try:
            return operation(state)
        except redis.RedisError as err:
            self.failed(err, action)
            return operation(self.memory)

    def failed(self, err, action):
        self.redis_down_until = time.monotonic() + FALLBACK_SECONDS
        logger.warning("freshdesk budget: redis unreachable, this process paces alone for a while",
                       extra={"action": action, "error": type(err).__name__,
                              "fallback_seconds": FALLBACK_SECONDS})


_storage = _Storage()


def _reserve():
    reserve = settings.FRESHDESK_RATE_LIMIT_RESERVE
    if not 0 <= reserve < 1:
        raise ImproperlyConfigured("FRESHDESK_RATE_LIMIT_RESERVE must be a fraction from 0 to below 1")
    return reserve


def pace_for(limit):
    """The Pace for a stored limit (0: not learned yet), the setting's override winning."""
    override = settings.FRESHDESK_RATE_LIMIT_PER_MINUTE
    return Pace(override or limit or ASSUMED_LIMIT, _reserve())


def take(account, priority=False, queue=True):
    """Take one request's room: 0 to send now, else the seconds to wait (nothing was sent).

    `priority` uses the larger burst; `queue` (bulk work that retries) promises the caller a
    slot, so the seconds returned are exact; without it they are the earliest it may be worth
    trying again. Raises ImproperlyConfigured only for a bad setting.
    """
    wait, _ = take_with_slot(account, priority, queue)
    return wait


def take_with_slot(account, priority=False, queue=True):
    """`take`, and whether the wait is a promised slot (come back then, no jitter needed)."""
    return _storage.run("take", lambda state: _take(state, account, priority, queue))


def _take(state, account, priority, queue):
    known = _storage.limits.get(account, 0.0)
    for _ in range(3):
        pace = pace_for(known)
        assumed = None if settings.FRESHDESK_RATE_LIMIT_PER_MINUTE else known
        verdict, value = state.take(account, assumed, pace.interval, pace.tolerance(priority),
                                    queue and not priority, HORIZON_SECONDS)
        if verdict != "relimit":
            break
        known = _storage.limits[account] = value  # another process learned it: pace by it
    else:
        verdict, value = "wait", 1.0
    if verdict == "granted":
        return 0, False
    return max(0.05, value + SLOT_MARGIN), verdict == "queued"


def observe(account, headers, status):
    """Learn from one answer: the account's limit, a request that cost more than one, a 429."""
    _storage.run("observe", lambda state: _observe(state, account, headers, status))


def _observe(state, account, headers, status):
    total = _number(headers.get("X-RateLimit-Total"))
    known = _storage.limits.get(account, 0.0)
    if total and total != known:
        old = state.learn(account, total, rescale=pace_for(total).interval / pace_for(known).interval)
        _storage.limits[account] = total
        if old != total:
            pace = pace_for(total)
            logger.info("freshdesk rate limit learned", extra={
                "account": account, "limit_per_minute": total, "previous": old,
                "paced_per_minute": round(pace.per_minute, 1),
                "reserve": settings.FRESHDESK_RATE_LIMIT_RESERVE,
                "overridden_by": settings.FRESHDESK_RATE_LIMIT_PER_MINUTE or None})
    pace = pace_for(_storage.limits.get(account, 0.0))
    extra = (_number(headers.get("X-RateLimit-Used-CurrentRequest")) or 1) - 1
    pause = 0.0
    if status == 429:
        extra, pause = 0, retry_after(headers)
    if extra > 0 or pause:
        paused = state.charge(account, seconds=max(0, extra) * pace.interval, pause=pause)
        if pause:
            logger.warning("freshdesk answered 429: every worker waits", extra={
                "account": account, "retry_after": pause, "paused_for": round(paused, 1),
                "ratelimit_remaining": headers.get("X-RateLimit-Remaining")})


def retry_after(headers, default=60):
    """Freshdesk's Retry-After in seconds (at least 1; `default` when missing or unreadable)."""
    seconds = _number(headers.get("Retry-After"))
    return max(1, int(seconds)) if seconds is not None else default


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def status(account):
    """What an operator wants to know: the limit and where it came from, our pace, a pause."""
    values, now, shared = _storage.run(
        "status", lambda state: (*state.read(account), state is _storage.redis))
    learned = values.get("limit") or 0.0
    pace = pace_for(learned)
    if settings.FRESHDESK_RATE_LIMIT_PER_MINUTE:
        source = "FRESHDESK_RATE_LIMIT_PER_MINUTE"
    else:
        source = "Freshdesk's X-RateLimit-Total" if learned else "assumed until Freshdesk answers"
    return {
        "limit": pace.limit, "source": source, "learned": learned or None,
        "reserve": pace.reserve, "allowed_per_minute": pace.allowed,
        "paced_per_minute": round(pace.per_minute, 2),
        "paused_for": max(0.0, values.get("pause", 0.0) - now),
        "shared": shared,
    }


def forget(account=None):
    """Drop what this process knows (and, for `account`, the shared state): tests start clean."""
    _storage.limits.clear()
    _storage.memory.forget(account)
    _storage.redis_down_until = 0.0
    if account is not None and _storage.state() is _storage.redis:
        _storage.redis.forget(account)
