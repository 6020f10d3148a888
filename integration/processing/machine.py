"""Running one stored webhook event: claim it, act on it, record the outcome.

    received ──claim──▶ processing ──▶ done | failed | ignored
        ▲                   │
        └── TryLater ───────┘  (Freshdesk 5xx/429/timeout, the call's ticket not there yet,
                                 an unexpected error, the database gone mid-way)

Each transition is a conditional UPDATE, so two workers never process one event at once
and a redelivered task finds nothing to do. Every event ends:

* temporary failures go back to `received` with `next_attempt_at` and are retried with
  exponential backoff and jitter (at least Freshdesk's Retry-After); after MAX_ATTEMPTS
  the event is `failed` with the reason, ready for a supervisor's replay;
* waiting (for another worker's create, for a create that may still land) does not spend
  an attempt: each wait ends with time or with the other event;
* an exception nobody expected is retried like a temporary failure, but only
  UNEXPECTED_ATTEMPTS times: it is more likely a bug or a payload we cannot handle than
  a passing fault, and a supervisor should see it soon;
* a claim holds a lease: `next_attempt_at` = claim + PROCESSING_LEASE, longer than the
  Celery hard time limit (TIME_LIMIT), so only a worker that died (SIGKILL, OOM, lost
  host) leaves an event `processing` past it, and the sweep then runs it again;
* when the database itself fails, nothing can be recorded: `DatabaseUnavailable` tells
  the task to retry, and the retry resumes the event it had claimed (`resume`).
"""

import logging
import random
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.db.models import F, Q
from django.utils import timezone

from ..clients import freshdesk
from ..events import InvalidEvent, load_json, parse_event
from ..models import WebhookEvent
from ..ops import metrics
from . import calls, handlers
from .tickets import ForeignTicket
from .unsure import Wait

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
UNEXPECTED_ATTEMPTS = 5
BACKOFF_BASE = 5
# Well under the Redis broker's 1 h visibility timeout (a longer countdown runs twice).
BACKOFF_CAP = 600
# One run of an event: a handful of Freshdesk requests of at most 13 s each when Freshdesk is
# slow. Past SOFT_TIME_LIMIT the run is interrupted and retried; at TIME_LIMIT Celery kills it.
SOFT_TIME_LIMIT = 45
TIME_LIMIT = 60
PROCESSING_LEASE = timedelta(seconds=TIME_LIMIT + 15)
DATABASE_ERRORS = (OperationalError, InterfaceError)


class TryLater(Exception):
    """Processing could not finish now; run again in `countdown` seconds."""

    def __init__(self, countdown, reason):
        super().__init__(reason)
        self.countdown = countdown


class DatabaseUnavailable(Exception):
    """The database failed mid-way; retry in `countdown` s with `resume` (None: nothing claimed)."""

    def __init__(self, resume, countdown):
        super().__init__("database unavailable")
        self.resume = resume
        self.countdown = countdown


def backoff(attempts, at_least=0):
    """Exponential with full jitter over its upper half: 5, 10, 20 … 600 s."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(at_least, random.uniform(ceiling / 2, ceiling))


def claim(event_id, resume=None):
    """Move a `received` event to `processing` under a fresh lease; None if it is not ours to run.

    `resume` is the attempt number a run had claimed before the database failed under it:
    that run's retry takes the event back (and counts a new attempt, so only one copy can).
    """
    now = timezone.now()
    claimable = Q(status=WebhookEvent.Status.RECEIVED)
    if resume is not None:
        claimable |= Q(status=WebhookEvent.Status.PROCESSING, attempts=resume)
    claimed = WebhookEvent.objects.filter(claimable, pk=event_id).update(
        status=WebhookEvent.Status.PROCESSING, attempts=F("attempts") + 1,
        next_attempt_at=now + PROCESSING_LEASE, updated_at=now,
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


def _later(row, countdown, reason, counts=True, limit=MAX_ATTEMPTS):
    """Back to `received`, due in `countdown` s, and raise TryLater; `counts=False` gives the
    attempt back. An event that has used `limit` attempts is failed instead, and nothing is raised."""
    countdown = min(countdown, BACKOFF_CAP)  # even a long Retry-After: see BACKOFF_CAP
    if counts and row.attempts >= limit:
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
                                      "reason": reason[:200], "counted": counts})
    raise TryLater(countdown, reason)


def process(event_id, resume=None, retries=0):
    """Run the event's effect in Freshdesk. Raises TryLater when it should run again.

    `retries` is how often the task has already been retried, for the database backoff.
    """
    countdown = min(30, BACKOFF_BASE * 2 ** min(retries, 3))
    try:
        row = claim(event_id, resume)
    except DATABASE_ERRORS as err:
        logger.warning("event not claimed: database unavailable", extra={"event_id": event_id})
        raise DatabaseUnavailable(resume, countdown) from err
    if row is None:
        logger.info("event not claimable, skipped", extra={"event_id": event_id})
        return
    try:
        _run(row)
    except DATABASE_ERRORS as err:
        logger.warning("event interrupted: database unavailable", extra={
            "event_id": row.pk, "call_id": row.call_id, "webhook_event": row.event})
        raise DatabaseUnavailable(row.attempts, countdown) from err


def _run(row):
    handler = handlers.HANDLERS.get(row.event)
    if handler is None:
        _finish(row, WebhookEvent.Status.IGNORED)
        return
    try:
        event = parse_event(load_json(row.raw_body))
    except InvalidEvent:
        _finish(row, WebhookEvent.Status.FAILED, "stored payload is missing or unreadable")
        return
    calls.record(event)  # first, so the call's state never waits on Freshdesk
    try:
        outcome = handler(row, event, freshdesk.FreshdeskClient.from_settings())
    except handlers.WaitingForTicket as err:
        _later(row, backoff(row.attempts), str(err))
    except Wait as err:
        # For another worker, or a write that may still land: it ends with time or with the
        # other event, and spends no attempt.
        _later(row, err.retry_after, str(err), counts=False)
    except ForeignTicket as err:
        _finish(row, WebhookEvent.Status.FAILED, str(err))
    except freshdesk.RateLimited as err:
        if err.status is None:
            # Our shared budget, not Freshdesk: no attempt spent. A promised slot is kept to
            # the letter (each waiting event has its own, one interval apart); any other wait
            # is spread with jitter so the waiting events do not all come back at once.
            jitter = 0 if err.slot else random.uniform(0, 1)
            _later(row, err.retry_after + jitter, str(err), counts=False)
        else:
            _later(row, backoff(row.attempts, at_least=err.retry_after), f"Freshdesk rate limit: {err}")
    except (freshdesk.ServerError, freshdesk.Unavailable) as err:
        _later(row, backoff(row.attempts), f"Freshdesk unavailable: {err}")
    except freshdesk.FreshdeskError as err:
        _finish(row, WebhookEvent.Status.FAILED, f"Freshdesk refused: {err}")
    except ImproperlyConfigured as err:
        _finish(row, WebhookEvent.Status.FAILED, f"configuration: {err}")
        raise
    except SoftTimeLimitExceeded:
        _later(row, backoff(row.attempts), f"took longer than {SOFT_TIME_LIMIT} s")
    except DATABASE_ERRORS:
        raise
    except Exception as err:  # noqa: BLE001 - anything else must still end the event (see docstring)
        logger.exception("event handler failed unexpectedly", extra={
            "event_id": row.pk, "call_id": row.call_id, "webhook_event": row.event})
        _later(row, backoff(row.attempts), f"unexpected error: {type(err).__name__}: {err}",
               limit=UNEXPECTED_ATTEMPTS)
    else:
        _finish(row, outcome or WebhookEvent.Status.DONE)
