"""One Freshdesk note per webhook event, even when an attempt is interrupted.

Same discipline as tickets (see `unsure.py`): `note_requested_at` is committed on the event
just before the note is sent. An event is processed by one worker at a time (its status is
claimed), so the only doubt is an attempt that got no clear answer. The next attempt waits
until that request cannot still be in flight, reads the ticket's conversations for a private
note with the same text and adopts it; if there is none, it waits until the note can no
longer be stored (FRESHDESK_CREATE_SETTLE_SECONDS after it was sent) before adding it.
"""

import logging
import re

from django.utils import timezone
from django.utils.html import strip_tags

from ..clients import freshdesk
from ..models import WebhookEvent
from .unsure import wait_while_in_flight, wait_while_it_may_land

logger = logging.getLogger(__name__)


def _text(html):
    return re.sub(r"\s+", " ", strip_tags(html)).strip()


def add_note_once(event_row, ticket, body, client):
    """Add `body` as a private note on `ticket` for `event_row`, unless it already was."""
    if event_row.freshdesk_note_id:
        return event_row.freshdesk_note_id
    sent = event_row.note_requested_at
    note_id = None
    if sent:
        now = timezone.now()
        wait_while_in_flight(sent, now, "this event's note")
        note_id = _find(client, ticket, body)
        if note_id is None:
            wait_while_it_may_land(sent, now, "this event's note")
    if note_id is None:
        note_id = _add(event_row, ticket, body, client)
    WebhookEvent.objects.filter(pk=event_row.pk).update(freshdesk_note_id=note_id)
    event_row.freshdesk_note_id = note_id
    return note_id


def _add(event_row, ticket, body, client):
    sent = timezone.now()
    WebhookEvent.objects.filter(pk=event_row.pk).update(note_requested_at=sent)
    try:
        note = client.add_note(ticket.freshdesk_id, body, private=True)
    except freshdesk.FreshdeskError as err:
        if err.may_land_later:
            raise
        found = _find(client, ticket, body) if err.maybe_applied else None
        if found is not None:
            return found
        WebhookEvent.objects.filter(pk=event_row.pk, note_requested_at=sent).update(note_requested_at=None)
        raise
    logger.info("note added", extra={"event_id": event_row.pk, "ticket_id": ticket.freshdesk_id,
                                     "note_id": note["id"]})
    return note["id"]


def _find(client, ticket, body):
    wanted = _text(body)
    for note in client.list_conversations(ticket.freshdesk_id):
        if note.get("private") and _text(note.get("body_text") or note.get("body") or "") == wanted:
            logger.info("note reconciled", extra={"ticket_id": ticket.freshdesk_id, "note_id": note["id"]})
            return note["id"]
    return None
