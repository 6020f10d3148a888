"""What each Sautikit event does in Freshdesk (contract §3).

Every handler takes the stored event row, the parsed event and a Freshdesk
client, and may run more than once for the same event: tickets go through
`ensure_ticket` and notes through `add_note_once`, which make a repeat a no-op.
A handler returns None (done) or `WebhookEvent.Status.IGNORED`. Every ticket we create
says "Sautikit call ID: …" in its description (`tickets.py` finds it by that).

Ticket subjects and requester names are built from webhook text, so they go through
`one_line` (no NUL, escape sequences, line breaks or bidi overrides) on their way to Freshdesk.
"""

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from ..models import Call, Ticket, WebhookEvent
from ..pricing import recording_cost
from ..timefmt import local_text
from ..text import one_line
from .callbacks import close_callback
from .notes import add_note_once
from .tickets import NewTicket, check_account, ensure_ticket, link_ticket

logger = logging.getLogger(__name__)

TAGS_INBOUND = ("sautikit", "inbound_call")
TAGS_MISSED = ("sautikit", "missed_call", "callback_needed")
TAGS_OUTBOUND = ("sautikit", "outbound_call")
RECORDING_VALID = timedelta(days=7)


class WaitingForTicket(Exception):
    """The event belongs on the call's ticket, which does not exist yet."""


def _local(at):
    return local_text(at)


def _event_time(event):
    return datetime.fromtimestamp(event.signed_at, tz=dt_timezone.utc)


def _requester_name(event, number):
    """Freshdesk wants a name with a phone-only requester; Sautikit may pass one in metadata."""
    return one_line(event.caller_name or f"Caller {number}")

def _call(event):
    call = Call.objects.select_related("ticket", "agent").get(call_id=event.call_id)
    check_account(call)
    return call


def call_answered(row, event, client):
    call = _call(event)
    if call.direction != Call.Direction.INBOUND:
        return WebhookEvent.Status.IGNORED  # outbound calls are logged when they complete
    if call.status == Call.Status.FAILED:
        return WebhookEvent.Status.IGNORED  # a late 'answered' does not turn a missed call around
    description = (
        f"<p>Inbound call from {escape(call.from_number)} to {escape(call.to_number)}, "
        f"answered {_local(_event_time(event))}.</p>"
    )
    ensure_ticket(call.pk, NewTicket(Ticket.Kind.INBOUND, one_line(f"Inbound call from {call.from_number}"),
                                     description, TAGS_INBOUND, _requester_name(event, call.from_number)),
                  client)


def call_failed(row, event, client):
    call = _call(event)
    if call.status != Call.Status.FAILED:
        return WebhookEvent.Status.IGNORED  # the call completed after all: nothing was missed
    status = call.failure_status or "failed"
    if call.direction == Call.Direction.OUTBOUND:
        ticket = call.ticket or _linked_ticket(call, event)
        if ticket:
            add_note_once(row, ticket, f"<p>Outbound call to {escape(call.to_number)} was not "
                          f"connected ({escape(status)}), {_local(_event_time(event))}.</p>", client)
        return None
    ticket, folded = _ensure_callback_ticket(call, event, client, f"Status: {status}.",
                                             fold_since=timezone.now() - settings.CALLBACK_FOLD_WINDOW)
    if folded and ticket.callback_open:
        add_note_once(row, ticket, (
            f"<p>Missed again: {escape(call.from_number)} called {_local(_event_time(event))} "
            f"({escape(status)}). Still waiting for a callback.</p>"
        ), client)
    return None


def _ensure_callback_ticket(call, event, client, detail, fold_since=None):
    description = (
        f"<p>Missed call from {escape(call.from_number)} to {escape(call.to_number)} at "
        f"{_local(_event_time(event))}. {escape(detail)}</p><p>Please call the customer back.</p>"
    )
    return ensure_ticket(call.pk, NewTicket(Ticket.Kind.CALLBACK,
                                            one_line(f"Missed call from {call.from_number}: callback required"),
                                            description, TAGS_MISSED, _requester_name(event, call.from_number)),
                         client, fold_since=fold_since)


def _went_to_voicemail(call):
    """Routing answered this inbound call with a voicemail: no agent will ever answer it.

    Routing is answered before the call goes on, so its event is always stored before
    the call's later events; an unanswered call with no agent after it was not dialled.
    """
    return (call.direction == Call.Direction.INBOUND and call.agent_id is None and not call.answered_at
            and WebhookEvent.objects.filter(call_id=call.call_id, event="call.routing").exists())


def _ticket_for_inbound(call, event, client):
    """The call's ticket; a voicemail gets its callback ticket now, anything else waits for one."""
    if call.ticket_id:
        return call.ticket
    if _went_to_voicemail(call):
        return _ensure_callback_ticket(call, event, client, "The call was not put through to an agent.")[0]
    raise WaitingForTicket(f"call {call.call_id} has no ticket yet")


def call_completed(row, event, client):
    call = _call(event)
    duration = call.duration_seconds or 0
    cost = ""
    if call.cost_kes is not None:
        # A supervisor reads this beside the recording's note and its charge (contract §7).
        inbound = call.direction == Call.Direction.INBOUND
        free = " (inbound calls are free; a recording is charged separately)" if inbound else ""
        cost = f" Cost: KES {call.cost_kes:.2f}{free}."
    body = f"<p>Call ended. Duration: {duration}s.{cost}</p>"
    if call.direction == Call.Direction.INBOUND and call.heard_message and not call.ticket_id:
        return WebhookEvent.Status.IGNORED  # the caller chose a recorded message: nothing to follow up
    if call.direction == Call.Direction.INBOUND:
        add_note_once(row, _ticket_for_inbound(call, event, client), body, client)
        return None
    ticket = call.ticket or _linked_ticket(call, event) or Ticket.objects.oldest_open_callback(call.to_number)
    if ticket is None:
        ticket, _ = ensure_ticket(call.pk, NewTicket(
            Ticket.Kind.OUTBOUND, one_line(f"Outbound call to {call.to_number}"),
            f"<p>Outbound call to {escape(call.to_number)}.</p>", TAGS_OUTBOUND,
            one_line(f"Customer {call.to_number}"),
        ), client)
    elif not call.ticket_id:
        ticket = link_ticket(call.pk, ticket.freshdesk_id, call.to_number)
    if ticket.callback_open and duration > 0:
        who = call.agent.name if call.agent else "an agent"
        body += f"<p>Callback done: {escape(who)} called back {_local(_event_time(event))}.</p>"
        add_note_once(row, ticket, body, client)
        close_callback(ticket, client, done_by=who, at=_event_time(event))
    else:
        add_note_once(row, ticket, body, client)


def recording_ready(row, event, client):
    if event.recording_refused:
        # Flagged, not failed: the event is kept for a supervisor, and the link for no one.
        _flag(row, f"recording link withheld: {event.recording_refused}")
        logger.warning("recording link refused", extra={"event_id": row.pk, "call_id": event.call_id,
                                                        "reason": event.recording_refused})
        return None
    _flag(row, "")  # a replay after SAUTIKIT_RECORDING_HOSTS was fixed clears the flag
    call = _call(event)
    if call.direction == Call.Direction.INBOUND:
        ticket = _ticket_for_inbound(call, event, client)
    else:
        ticket = call.ticket or _linked_ticket(call, event)
        if ticket is None:
            raise WaitingForTicket(f"call {call.call_id} has no ticket yet")
    until = _local(_event_time(event) + RECORDING_VALID)
    seconds = event.recording_duration_seconds
    length = f" ({seconds}s, recording charge KES {recording_cost(seconds):.2f})" if seconds else ""
    kind = "Voicemail" if call.direction == Call.Direction.INBOUND and not call.answered_at else "Call recording"
    body = (
        f'<p>{kind}{length}: <a href="{escape(event.recording_url)}">listen to the '
        f"recording</a>. The link is valid for 7 days, until {until}.</p>"
    )
    add_note_once(row, ticket, body, client)


def _flag(row, text):
    WebhookEvent.objects.filter(pk=row.pk).exclude(flag=text).update(flag=text[:255])


def _linked_ticket(call, event):
    return link_ticket(call.pk, event.ticket_id, call.to_number) if event.ticket_id else None


HANDLERS = {
    "call.answered": call_answered,
    "call.failed": call_failed,
    "call.completed": call_completed,
    "recording.ready": recording_ready,
}
