"""Replaying stored webhook events: the admin action and `manage.py replay_events` both use this.

    result = replay([12, 13])            # or replay(WebhookEvent.objects.filter(status="failed"))
    result.replayed, result.skipped      # ids put back to `received` and published / left alone

Replaying puts an event back to `received` and publishes it after the commit;
`services.processing.process` then runs it like a new delivery. That is safe for
a `done` event too: its ticket is found through the Call (`ensure_ticket`) and
its note through `freshdesk_note_id` (`add_note_once`), so Freshdesk gets
nothing twice. An event being `processing` right now is never touched (a worker
owns it), and neither is one still `received` (it is already queued), nor one whose
payload retention has pruned: it would only turn a done event into a failed one.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import WebhookEvent
from . import handlers
from .tasks import publish

logger = logging.getLogger(__name__)

REPLAYABLE = (WebhookEvent.Status.FAILED, WebhookEvent.Status.DONE, WebhookEvent.Status.IGNORED)


@dataclass
class ReplayResult:
    replayed: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # event id -> why it was left alone


def replay(events, by=""):
    """Put each replayable event back to `received` and publish it; return what happened.

    `events` is an iterable of WebhookEvent rows or ids. `by` names who asked, for the log.
    """
    ids = [getattr(e, "pk", e) for e in events]
    rows = {row.pk: row for row in WebhookEvent.objects.filter(pk__in=ids).annotate(
        pruned=Q(raw_body="")).only("pk", "event", "status")}
    result = ReplayResult()
    with transaction.atomic():
        for event_id in ids:
            row = rows.get(event_id)
            if row is None:
                result.skipped[event_id] = "no such event"
            elif row.pruned:
                result.skipped[event_id] = "its payload was pruned after the retention period"
            elif row.event not in handlers.HANDLERS:
                # call.routing was answered in its HTTP response; unknown types have no effect.
                result.skipped[event_id] = f"{row.event} has nothing to replay"
            elif _reset(event_id):
                result.replayed.append(event_id)
                transaction.on_commit(partial(publish, event_id), robust=True)
            else:
                result.skipped[event_id] = f"it is {row.status} (only failed, done or ignored replay)"
    for event_id in result.replayed:
        logger.info("event replayed", extra={"event_id": event_id, "by": by})
    return result


def _reset(event_id):
    """Conditional update, so a worker's claim and a replay never both win.

    `attempts` starts again: a replayed event that had given up after MAX_ATTEMPTS
    would otherwise fail at its first temporary error.
    """
    return WebhookEvent.objects.filter(pk=event_id, status__in=REPLAYABLE).exclude(raw_body="").update(
        # Published right after the commit (below), so not the outbox's to publish again.
        status=WebhookEvent.Status.RECEIVED, next_attempt_at=timezone.now(), attempts=0,
        updated_at=timezone.now(),
    ) == 1
