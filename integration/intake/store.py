"""Storing a verified webhook event: one INSERT, nothing published from here.

The event row is all the webhook writes before answering, but for a `call.routing`,
whose answer needs the call: its call is upserted in the same transaction. Every other
event is applied to its call by the worker (`processing.calls`).

Publishing the Celery task is the outbox dispatcher's job (`processing.outbox`): on
PostgreSQL the insert itself notifies it, so it publishes within milliseconds, from a
worker process rather than the web's. If no dispatcher runs or the broker is down, the
event stays `received` and the sweep (`processing.tasks.requeue_stuck_events`) publishes
it later: a webhook answered 2xx is never lost.
"""

import logging
from dataclasses import dataclass

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone

from ..events import ROUTING
from ..models import WebhookEvent
from ..processing import calls, tasks
from ..processing.outbox import CHANNEL

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status


@dataclass(frozen=True)
class Stored:
    event_id: int
    outcome: str  # accepted | duplicate | ignored | routed

    @property
    def http_status(self):
        return 202 if self.outcome == "accepted" else 200


def store(event, raw_body):
    """Persist `event` once (the first delivery wins); its processing is queued by the dispatcher.

    "Once" is per (call, event, step): the answers to a voice menu are further
    `call.routing` events of the same call, each its own step (`SautikitEvent.step`).

    A new event is one INSERT (… ON CONFLICT DO NOTHING RETURNING id, which also wakes
    the dispatcher); a duplicate inserts nothing and is looked up after it.
    """
    if event.event == ROUTING:
        status = Status.DONE  # answered in the HTTP response itself
        with transaction.atomic():
            event_id = _insert(event, raw_body, status)
            if event_id is not None:
                calls.record(event)
    else:
        status = Status.RECEIVED if event.known else Status.IGNORED
        event_id = _insert(event, raw_body, status)
        if event_id is not None and status == Status.RECEIVED and current_app.conf.task_always_eager:
            tasks.publish(event_id)  # CELERY_TASK_ALWAYS_EAGER: no worker, so no dispatcher; run it here
    if event_id is None:
        existing = WebhookEvent.objects.values_list("pk", flat=True).get(
            call_id=event.call_id, event=event.event, step=event.step)
        logger.info("webhook duplicate", extra=_fields(event, existing))
        return Stored(existing, "duplicate")
    outcome = {Status.RECEIVED: "accepted", Status.IGNORED: "ignored", Status.DONE: "routed"}[status]
    logger.info("webhook stored", extra={**_fields(event, event_id), "outcome": outcome})
    return Stored(event_id, outcome)


def _insert(event, raw_body, status):
    """INSERT the event unless (call, event, step) is stored already; its id, or None.

    One statement in SQL of our own: the ORM's create needs a savepoint to survive the
    duplicate's IntegrityError, and costs several times the CPU of the insert itself,
    which is most of what intake does.
    """
    table = WebhookEvent._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    processed_at = None if status == Status.RECEIVED else now
    sql = (
        f"INSERT INTO {table} (event, call_id, step, raw_body, status, received_at, updated_at, "
        "processed_at, attempts, last_error, flag) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, '', '') "
        "ON CONFLICT (call_id, event, step) DO NOTHING RETURNING id"
    )
    params = [event.event, event.call_id, event.step, raw_body, status, now, now, processed_at]
    if status == Status.RECEIVED and connection.vendor == "postgresql":
        # Delivered at commit, so the dispatcher never looks before the row is visible.
        sql = f"WITH stored AS ({sql}) SELECT id, pg_notify('{CHANNEL}', '') FROM stored"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _fields(event, event_id):
    return {"call_id": event.call_id, "webhook_event": event.event, "event_id": event_id}
