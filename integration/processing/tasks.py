"""Celery tasks and their publishing: thin shells that take ids and call the state machine.

    publish(event_id)        # after the commit that stored or reset the event

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

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from ..models import WebhookEvent
from . import machine

logger = logging.getLogger(__name__)

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
    try:
        process_event.apply_async((event_id,), retry=False)
    except Exception as err:  # kombu raises a variety of transport errors
        logger.warning("publish failed, sweep will retry", extra={"event_id": event_id,
                                                                  "error": type(err).__name__})


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
    for event_id in orphans + overdue:
        publish(event_id)
    if orphans or overdue:
        logger.info("sweep requeued events", extra={"requeued": len(overdue), "orphaned": len(orphans)})
    return len(orphans) + len(overdue)
