"""Per-user request limits that hold across every web process, counted in Django's cache.

    class PlaceCallThrottle(SharedRateThrottle):
        scope, limit, period = "softphone_calls", 10, 60

The cache is Redis in production (settings: CACHE_URL), so all gunicorn processes on all
hosts count together. DRF's own throttles read a list from the cache, append and write it
back: two processes doing that at once both pass, and a script firing in parallel gets far
more than the limit. Here each request adds one to a one-second bucket with the cache's
atomic `incr`, then sums the last `period` buckets (one MGET on Redis). Whoever reads last
sees every increment made before, so no more than `limit` requests pass in any period,
however many processes race; a refused request takes its increment back.

If the cache cannot be reached the request is let through and an error logged: these limits
stop runaway scripts, and the money is guarded by the spend caps in the database.
"""

import logging
import time

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


class SharedRateThrottle(BaseThrottle):
    """At most `limit` requests per user in any `period` seconds (to the second)."""

    scope = ""
    limit = 10
    period = 60

    def allow_request(self, request, view):
        if not request.user.is_authenticated:
            return True  # the view's permissions refuse anonymous requests
        now = int(time.time())
        prefix = f"throttle:{self.scope}:{request.user.pk}:"
        key = f"{prefix}{now}"
        try:
            cache.add(key, 0, timeout=self.period + 5)
            cache.incr(key)
            counts = cache.get_many([f"{prefix}{second}" for second in range(now - self.period + 1, now + 1)])
            if sum(counts.values()) <= self.limit:
                return True
            cache.decr(key)
        except (RedisError, OSError, ValueError) as err:
            # ValueError: the bucket expired between add and incr (a stalled process).
            logger.error("throttle not counted", extra={"scope": self.scope, "error": str(err)[:200]})
            return True
        oldest = min(int(k[len(prefix):]) for k, n in counts.items() if n)
        self._wait = max(1, oldest + self.period - now)
        return False

    def wait(self):
        return getattr(self, "_wait", self.period)
