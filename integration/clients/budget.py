"""One Freshdesk request budget shared by every worker process.

Freshdesk's per-minute limit is account-wide, and Celery's `rate_limit` is per
process, so the budget lives in Redis (the `limits` library's moving window)
whenever FRESHDESK_RATE_LIMIT_STORAGE points there. A request that finds the
budget spent is not sent: the caller gets the seconds to wait and retries its
task later, exactly as after a 429 — never a sleep inside a task.
"""

import functools
import time

from django.conf import settings
from limits import RateLimitItemPerMinute, storage, strategies


@functools.cache
def _limiter(storage_url):
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_url))


def take_freshdesk_token():
    """Take one request from the shared budget: 0 when granted, else seconds to wait."""
    per_minute = settings.FRESHDESK_RATE_LIMIT_PER_MINUTE
    if not per_minute:
        return 0
    limiter = _limiter(settings.FRESHDESK_RATE_LIMIT_STORAGE)
    item = RateLimitItemPerMinute(per_minute)
    if limiter.hit(item, "freshdesk"):
        return 0
    reset_at = limiter.get_window_stats(item, "freshdesk").reset_time
    return max(0.05, reset_at - time.time())
