"""Running one stored webhook event: claim it, act on it, record the outcome.

    received ──claim──▶ processing ──▶ done | failed | ignored
        ▲                   │
        └── TryLater ───────┘  (Freshdesk 5xx/429/timeout, or the call's ticket not there yet)

Each transition is a conditional UPDATE, so two workers never process one event
at once and a redelivered task finds nothing to do. Temporary failures go back
to `received` with `next_attempt_at`, and the task is retried with exponential
backoff and jitter (at least Freshdesk's Retry-After); after MAX_ATTEMPTS the
event is `failed` with the reason, ready for a supervisor's replay.
"""

import logging
import random
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone

from ..clients import freshdesk
from ..ops import metrics
from ..models import WebhookEvent
from ..events import InvalidEvent, load_json, parse_event
from . import handlers
from .tickets import TicketBusy

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE = 5
# Well under the Redis broker's 1 h visibility timeout (a longer countdown runs twice).
BACKOFF_CAP = 600


class TryLater(Exception):
    """Processing could not finish now; run again in `countdown` seconds."""

    def __init__(self, countdown, reason):
        super().__init__(reason)
        self.countdown = countdown


def backoff(attempts, at_least=0):
    """Exponential with full jitter over its upper half: 5, 10, 20 … 600 s."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(at_least, random.uniform(ceiling / 2, ceiling))


def claim(event_id):
    """Move a `received` event to `processing`; None if someone else has it or it is finished."""
    claimed = WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.RECEIVED).update(
        status=WebhookEvent.Status.PROCESSING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    return WebhookEvent.objects.get(pk=event_id) if claimed else None


def _finish(row, status, error=""):
    WebhookEvent.objects.filter(pk=row.pk, status=WebhookEvent.Status.PROCESSING).update(
        status=status, last_error=error[:2000], processed_at=timezone.now(), next_attempt_at=None,
        updated_at=timezone.now(),
    )
    metrics.event_finished(row.event, status)
    logger.info("event %s", status, extra={"event_id": row.pk, "call_id": row.call_id,
                                           "webhook_event": row.event, "error": error[:200]})


def _later(row, countdown, reason, counts=True):
    """Back to `received`, due in `countdown` s, and raise TryLater; `counts=False` gives the
    attempt back. An event that has used MAX_ATTEMPTS is failed instead, and nothing is raised."""
    countdown = min(countdown, BACKOFF_CAP)  # even a long Retry-After: see BACKOFF_CAP
    if counts and row.attempts >= MAX_ATTEMPTS:
        _finish(row, WebhookEvent.Status.FAILED, f"gave up after {row.attempts} attempts: {reason}")
        return
    WebhookEvent.objects.filter(pk=row.pk, status=WebhookEvent.Status.PROCESSING).update(
        status=WebhookEvent.Status.RECEIVED, last_error=reason[:2000], updated_at=timezone.now(),
        next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        attempts=F("attempts") - (0 if counts else 1),
    )
    metrics.event_retried(row.event)
    logger.info("event retry", extra={"event_id": row.pk, "call_id": row.call_id,
                                      "webhook_event": row.event, "countdown": round(countdown, 1),
                                      "reason": reason[:200]})
    raise TryLater(countdown, reason)


def process(event_id):
    """Run the event's effect in Freshdesk. Raises TryLater when it should run again."""
    row = claim(event_id)
    if row is None:
        logger.info("event not claimable, skipped", extra={"event_id": event_id})
        return
    handler = handlers.HANDLERS.get(row.event)
    if handler is None:
        _finish(row, WebhookEvent.Status.IGNORED)
        return
    try:
        event = parse_event(load_json(row.raw_body))
    except InvalidEvent:
        _finish(row, WebhookEvent.Status.FAILED, "stored payload is missing or unreadable")
        return
    try:
        outcome = handler(row, event, freshdesk.FreshdeskClient.from_settings())
    except handlers.WaitingForTicket as err:
        _later(row, backoff(row.attempts), str(err))
    except TicketBusy as err:
        _later(row, err.retry_after, str(err))
    except freshdesk.RateLimited as err:
        if err.status is None:
            # Our shared budget, not Freshdesk: wait for the next free slot, no attempt spent.
            _later(row, err.retry_after + random.uniform(0, 1), str(err), counts=False)
        else:
            _later(row, backoff(row.attempts, at_least=err.retry_after), f"Freshdesk rate limit: {err}")
    except (freshdesk.ServerError, freshdesk.Unavailable) as err:
        _later(row, backoff(row.attempts), f"Freshdesk unavailable: {err}")
    except freshdesk.FreshdeskError as err:
        _finish(row, WebhookEvent.Status.FAILED, f"Freshdesk refused: {err}")
    except ImproperlyConfigured as err:
        _finish(row, WebhookEvent.Status.FAILED, f"configuration: {err}")
        raise
    else:
        _finish(row, outcome or WebhookEvent.Status.DONE)
