"""The outbox: events the webhook stored that no task has been published for yet.

    ids = claim(500)          # oldest unpublished events, marked published as of now
    release(ids)              # the broker refused them: the next wake-up tries them again
    OutboxDispatcher(dispatch).start()   # a thread running `dispatch()` whenever woken

Publishing a Celery task costs the web process more CPU than storing the event does
(message building, a broker round trip), and the webhook's speed is what decides whether
Sautikit's redelivery of a backlog is absorbed. So the webhook only stores; every worker
runs a dispatcher thread that publishes what was stored. On PostgreSQL the webhook's
insert notifies CHANNEL (at its commit), which wakes the dispatchers at once; otherwise,
and as a safety net for a lost notification, they look every POLL_SECONDS.

"Unpublished" is `received` with no `next_attempt_at`: a retried or swept event always has
one. A claim sets it, which also starts the sweep's clock: an event claimed by a dispatcher
that died before publishing is published by the sweep after its OVERDUE, like one the
broker lost. Several dispatchers claim with SKIP LOCKED, so each event is published once.
"""

import logging
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from ..models import WebhookEvent

logger = logging.getLogger(__name__)

CHANNEL = "sautidesk_outbox"
POLL_SECONDS = 2.0
BATCH = 500
# After a failure (database or broker away), wait before trying again, growing to the cap.
ERROR_PAUSE = (1.0, 30.0)


def _unpublished():
    return WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED, next_attempt_at__isnull=True)


def claim(limit=BATCH):
    """Up to `limit` unpublished event ids, oldest first, now marked as published."""
    with transaction.atomic():
        ids = list(_unpublished().select_for_update(skip_locked=True).order_by("pk")
                   .values_list("pk", flat=True)[:limit])
        if ids:
            WebhookEvent.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
    return ids


def release(ids):
    """Give back claimed events whose publishing failed, for the next wake-up."""
    WebhookEvent.objects.filter(pk__in=ids, status=WebhookEvent.Status.RECEIVED).update(next_attempt_at=None)


class _Listener:
    """Waits for the webhook's NOTIFY on PostgreSQL; elsewhere simply sleeps POLL_SECONDS."""

    def __init__(self):
        self._conn = None

    def wait(self, stop):
        if connection.vendor != "postgresql":
            stop.wait(POLL_SECONDS)
            return
        if self._conn is None or self._conn.closed:
            import psycopg  # only on PostgreSQL

            self._conn = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self._conn.execute(f"LISTEN {CHANNEL}")
            return  # something may have been stored before we listened: look first
        for _ in self._conn.notifies(timeout=POLL_SECONDS, stop_after=1):
            pass
        for _ in self._conn.notifies(timeout=0):  # what came meanwhile: one dispatch covers it all
            pass

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class OutboxDispatcher(threading.Thread):
    """Runs `dispatch()` (publish every unpublished event) at start and whenever woken."""

    def __init__(self, dispatch):
        super().__init__(name="outbox-dispatcher", daemon=True)
        self.dispatch = dispatch
        self.stopped = threading.Event()
        self._listener = _Listener()

    def stop(self):
        self.stopped.set()

    def run(self):
        pause = ERROR_PAUSE[0]
        while not self.stopped.is_set():
            try:
                close_old_connections()
                self.dispatch()
                self._listener.wait(self.stopped)
                pause = ERROR_PAUSE[0]
            except Exception as err:  # noqa: BLE001 - the thread must outlive any outage
                logger.warning("outbox dispatcher failed, trying again", extra={
                    "error": type(err).__name__, "pause_seconds": pause})
                self._listener.close()
                connection.close()
                self.stopped.wait(pause)
                pause = min(pause * 2, ERROR_PAUSE[1])
        self._listener.close()
        connection.close()
