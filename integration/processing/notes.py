"""One Freshdesk note per webhook event, even when an attempt is interrupted.

Same idea as tickets: `note_requested_at` is committed on the event before the
note is sent. An event is processed by one worker at a time (its status is
claimed), so the only doubt is an attempt that got no clear answer; the next
attempt first reads the ticket's conversations for a private note with the
same text, and adopts it instead of adding another.
"""

import logging
import re

from django.utils import timezone
from django.utils.html import strip_tags

from ..clients import freshdesk
from ..models import WebhookEvent

logger = logging.getLogger(__name__)


def _text(html):
    return re.sub(r"\s+", " ", strip_tags(html)).strip()


def add_note_once(event_row, ticket, body, client):
    """Add `body` as a private note on `ticket` for `event_row`, unless it already was."""
    if event_row.freshdesk_note_id:
        return event_row.freshdesk_note_id
    note_id = None
    if event_row.note_requested_at:
        wanted = _text(body)
        for note in client.list_conversations(ticket.freshdesk_id):
            if note.get("private") and _text(note.get("body_text") or note.get("body") or "") == wanted:
                note_id = note["id"]
                logger.info("note reconciled", extra={"event_id": event_row.pk, "note_id": note_id})
                break
    if note_id is None:
        WebhookEvent.objects.filter(pk=event_row.pk).update(note_requested_at=timezone.now())
        try:
            note = client.add_note(ticket.freshdesk_id, body, private=True)
        except freshdesk.FreshdeskError as err:
            if not err.maybe_applied:
                WebhookEvent.objects.filter(pk=event_row.pk).update(note_requested_at=None)
            raise
        note_id = note["id"]
        logger.info("note added", extra={"event_id": event_row.pk, "ticket_id": ticket.freshdesk_id,
                                         "note_id": note_id})
    WebhookEvent.objects.filter(pk=event_row.pk).update(freshdesk_note_id=note_id)
    event_row.freshdesk_note_id = note_id
    return note_id
