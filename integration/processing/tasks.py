"""Celery tasks and their publishing: thin shells that take ids and call the state machine.

    publish(event_id)        # after the commit that stored or reset the event

Task names are part of the broker protocol, so they are spelt out and kept when a module
moves: a message queued by the previous release still finds its task after an upgrade.
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
# A `processing` event this old belongs to a worker that died; acks_late alone would wait
# for the broker's visibility timeout (an hour on Redis).
STUCK = timedelta(minutes=10)


@shared_task(name="integration.tasks.process_event", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def process_event(self, event_id):
    try:
        machine.process(event_id)
    except machine.TryLater as later:
        raise self.retry(countdown=later.countdown) from later


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
    stuck = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.PROCESSING, updated_at__lt=now - STUCK
    ).update(status=WebhookEvent.Status.RECEIVED, updated_at=now)
    due = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).filter(
        Q(next_attempt_at__lt=now - OVERDUE) | Q(next_attempt_at__isnull=True, received_at__lt=now - OVERDUE)
    )
    ids = list(due.values_list("pk", flat=True)[:1000])
    # Due again only after another OVERDUE: a slow queue is not republished every minute.
    WebhookEvent.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for event_id in ids:
        publish(event_id)
    if ids or stuck:
        logger.info("sweep requeued events", extra={"requeued": len(ids), "unstuck": stuck})
    return len(ids)
