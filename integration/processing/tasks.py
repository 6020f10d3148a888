"""Celery tasks and their publishing: thin shells that take ids and call the state machine.

    publish(event_id)        # after the commit that reset an event (replay, sweep)
    dispatch_pending()       # publish what the webhook stored: the outbox dispatcher's work

Every worker process group runs an outbox dispatcher thread (started on `worker_ready`,
see `outbox`): the webhook stores events and the workers publish them, so that publishing
costs the web process nothing.

Task names are part of the broker protocol, so they are spelt out and kept when a module
moves: a message queued by the previous release still finds its task after an upgrade.

A worker that dies mid-event (SIGKILL, out of memory, a lost host) leaves the event
`processing`. Its message may come back (acks_late, reject_on_worker_lost) but finds the
event claimed; what recovers it is the sweep below, run by beat every 15 s
(CELERY_BEAT_SCHEDULE): once the event's lease (machine.PROCESSING_LEASE, 75 s) has run out,
the sweep puts it back to `received` and publishes it. So a killed worker's events run again
at most 75 + 15 s after they were claimed, plus their wait in the queue.
"""

import logging
from datetime import timedelta

from celery import current_app, shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.db.models import Q
from django.utils import timezone

from ..models import WebhookEvent
from . import machine, outbox

logger = logging.getLogger(__name__)

# Reconnect a pooled broker connection that broke (a broker restart) before calling the
# broker down: without it, a process would keep its dead connection after the broker is back.
# Publishing is off the request path, so the extra second it may take costs no webhook anything.
REVIVE_ONCE = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

# A `received` event this long past due was not published (broker down) or its retry was lost.
OVERDUE = timedelta(seconds=60)


@shared_task(name="integration.tasks.process_event", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=None,
             soft_time_limit=machine.SOFT_TIME_LIMIT, time_limit=machine.TIME_LIMIT)
def process_event(self, event_id, resume=None):
    try:
        machine.process(event_id, resume=resume, retries=self.request.retries or 0)
    except machine.TryLater as later:
        raise self.retry(countdown=later.countdown) from later
    except machine.DatabaseUnavailable as down:
        raise self.retry(countdown=down.countdown, kwargs={"resume": down.resume}) from down


def publish(event_id):
    """Queue processing; a broker outage is logged and left to the outbox sweep."""
    return publish_many([event_id]) == 1


def publish_many(event_ids):
    """Queue processing for each id over one broker connection; how many were published.

    A broker outage is logged and the rest left unpublished: the caller gives them back
    to the outbox, and the sweep publishes anything still waiting after OVERDUE.
    """
    published = 0
    try:
        with current_app.producer_or_acquire() as producer:
            for event_id in event_ids:
                process_event.apply_async((event_id,), producer=producer, retry=True,
                                          retry_policy=REVIVE_ONCE)
                published += 1
    except Exception as err:  # kombu raises a variety of transport errors
        logger.warning("publish failed, will retry", extra={
            "event_id": event_ids[published], "unpublished": len(event_ids) - published,
            "error": type(err).__name__})
    return published


def dispatch_pending():
    """Publish every event the webhook stored and nobody published yet; how many were."""
    total = 0
    while ids := outbox.claim():
        published = publish_many(ids)
        total += published
        if published < len(ids):
            outbox.release(ids[published:])
            raise ConnectionError("broker refused the outbox's events")
    if total:
        logger.info("outbox published", extra={"published": total})
    return total


_dispatcher = None


@worker_ready.connect
def start_outbox_dispatcher(**_):
    global _dispatcher
    _dispatcher = outbox.OutboxDispatcher(dispatch_pending)
    _dispatcher.start()


@worker_shutting_down.connect
def stop_outbox_dispatcher(**_):
    if _dispatcher is not None:
        _dispatcher.stop()


@shared_task(name="integration.tasks.requeue_stuck_events", acks_late=True)
def requeue_stuck_events():
    """The outbox sweep: publish again what the broker never got or a dead worker left."""
    now = timezone.now()
    expired = WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSING).filter(
        # No lease recorded: claimed by a release before leases; its run is long over.
        Q(next_attempt_at__lt=now) | Q(next_attempt_at__isnull=True, updated_at__lt=now - machine.PROCESSING_LEASE)
    )
    orphans = list(expired.values_list("pk", flat=True)[:1000])
    WebhookEvent.objects.filter(pk__in=orphans, status=WebhookEvent.Status.PROCESSING).update(
        status=WebhookEvent.Status.RECEIVED, next_attempt_at=now, updated_at=now,
    )
    due = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).filter(
        Q(next_attempt_at__lt=now - OVERDUE) | Q(next_attempt_at__isnull=True, received_at__lt=now - OVERDUE)
    )
    overdue = list(due.values_list("pk", flat=True)[:1000])
    # Due again only after another OVERDUE: a slow queue is not republished every sweep.
    WebhookEvent.objects.filter(pk__in=overdue).update(next_attempt_at=now)
    publish_many(orphans + overdue)
    if orphans or overdue:
        logger.info("sweep requeued events", extra={"requeued": len(overdue), "orphaned": len(orphans)})
    return len(orphans) + len(overdue)
