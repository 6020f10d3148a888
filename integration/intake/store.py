"""Storing a verified webhook event: one short transaction, then publish.

The event row, the Call upsert and the publish intent commit together; the
Celery task is published only after the commit (a task published earlier could
run before the rows exist). If the broker is down then, the event stays
`received` and the outbox sweep (`processing.tasks.requeue_stuck_events`) publishes it later:
a webhook answered 2xx is never lost.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..events import ROUTING
from ..models import Call, WebhookEvent
from ..processing.calls import apply_event
from ..processing.tasks import publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    event_id: int
    outcome: str  # accepted | duplicate | ignored | routed

    @property
    def http_status(self):
        return 202 if self.outcome == "accepted" else 200


def store(event, raw_body):
    """Persist `event` once (the first delivery wins) and queue its processing.

    "Once" is per (call, event, step): the answers to a voice menu are further
    `call.routing` events of the same call, each its own step (`SautikitEvent.step`).

    Five statements for a new event: BEGIN, INSERT event, INSERT call (or nothing if it
    exists), SELECT the call FOR UPDATE, COMMIT. Only the event insert can conflict, so
    a duplicate rolls the whole transaction back and is read after it.
    """
    status = WebhookEvent.Status.RECEIVED
    if not event.known:
        status = WebhookEvent.Status.IGNORED
    elif event.event == ROUTING:
        status = WebhookEvent.Status.DONE  # answered in the HTTP response itself
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                event=event.event, call_id=event.call_id, step=event.step, raw_body=raw_body, status=status,
                processed_at=timezone.now() if status != WebhookEvent.Status.RECEIVED else None,
            )
            if event.known:
                _upsert_call(event)
            if status == WebhookEvent.Status.RECEIVED:
                transaction.on_commit(partial(publish, row.pk), robust=True)
    except IntegrityError:
        existing = WebhookEvent.objects.get(call_id=event.call_id, event=event.event, step=event.step)
        logger.info("webhook duplicate", extra=_fields(event, existing.pk))
        return Stored(existing.pk, "duplicate")
    outcome = {"received": "accepted", "ignored": "ignored", "done": "routed"}[status]
    logger.info("webhook stored", extra={**_fields(event, row.pk), "outcome": outcome})
    return Stored(row.pk, outcome)


def _upsert_call(event):
    """Create the call as this event describes it, or apply the event to the existing row."""
    new = Call(call_id=event.call_id, direction=event.direction)
    apply_event(new, event)
    # INSERT … ON CONFLICT DO NOTHING: a concurrent event of this call may have created it.
    Call.objects.bulk_create([new], ignore_conflicts=True)
    call = Call.objects.select_for_update().get(call_id=event.call_id)
    changed = apply_event(call, event)
    if changed:
        call.save(update_fields=[*changed, "updated_at"])
    return call


def _fields(event, event_id):
    return {"call_id": event.call_id, "webhook_event": event.event, "event_id": event_id}
