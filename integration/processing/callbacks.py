"""Closing a callback: the missed call's customer has been called back or reached another way.

    close_callback(ticket, client, done_by="Baraka", at=now)          # after a completed call
    report = close_by_supervisor([ticket.pk, …], who="Amina", reason="reached by SMS")

Freshdesk replaces the whole tag list on update, so closing reads the ticket's tags
first and writes them back without `callback_needed`.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from ..clients import freshdesk
from ..models import Ticket

logger = logging.getLogger(__name__)

CALLBACK_TAG = "callback_needed"
# Each close is two or three Freshdesk requests made while the supervisor's page waits.
MAX_BULK_CLOSE = 50


def close_callback(ticket, client, done_by, at, reason=""):
    """Remove `callback_needed` from the Freshdesk ticket, keeping its other tags, and record it."""
    current = client.get_ticket(ticket.freshdesk_id).get("tags") or []
    if CALLBACK_TAG in current:
        client.update_ticket(ticket.freshdesk_id, tags=[t for t in current if t != CALLBACK_TAG])
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk, callback_open=True).update(
            callback_open=False, callback_done_at=at, callback_done_by=done_by[:150],
            callback_done_reason=reason[:255],
        )
    logger.info("callback closed", extra={"ticket_id": ticket.freshdesk_id})


@dataclass
class CloseReport:
    """What a supervisor's bulk close did, ticket by ticket, for the page to say."""

    closed: list = field(default_factory=list)  # Tickets closed here and in Freshdesk
    deleted: list = field(default_factory=list)  # gone from Freshdesk: closed here only
    note_failed: list = field(default_factory=list)  # (Ticket, error): closed, the note not added
    refused: list = field(default_factory=list)  # (Ticket, error): Freshdesk said no, still open
    unavailable: str = ""  # Freshdesk stopped answering: the error
    left_open: int = 0  # callbacks not tried because Freshdesk stopped answering


def close_by_supervisor(ticket_ids, who, reason):
    """Close each open callback among `ticket_ids` in Freshdesk now; raise ImproperlyConfigured.

    Synchronous on purpose: the supervisor sees at once which tickets Freshdesk refused.
    A ticket that failed stays in the queue, so running it again is safe. When Freshdesk
    is down or rate-limited we stop at the first ticket rather than wait out a timeout for
    each of the others while the page hangs.
    """
    # A supervisor is waiting on the page: ahead of bulk ticket creation in the budget.
    client = freshdesk.FreshdeskClient.from_settings(priority=True)
    report = CloseReport()
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids, callback_open=True).order_by("created_at"))
    for index, ticket in enumerate(tickets):
        try:
            outcome = _close_one(ticket.pk, client, who, reason)
        except (freshdesk.Unavailable, freshdesk.ServerError, freshdesk.RateLimited) as err:
            report.unavailable, report.left_open = str(err), len(tickets) - index
            break
        except freshdesk.FreshdeskError as err:
            report.refused.append((ticket, str(err)))
            continue
        if outcome == "deleted":
            report.deleted.append(ticket)
        elif isinstance(outcome, freshdesk.FreshdeskError):
            report.note_failed.append((ticket, str(outcome)))
        if outcome != "already closed":
            report.closed.append(ticket)
    logger.info("callbacks closed by supervisor", extra={
        "ticket_ids": [t.freshdesk_id for t in report.closed], "by": who})
    return report


def _close_one(ticket_pk, client, who, reason):
    """Close one callback: "closed", "deleted", "already closed", or the note's FreshdeskError.

    The ticket row stays locked while Freshdesk is told (two or three requests), so a
    double-submitted form or two supervisors at once never add the note twice. A refusal
    from Freshdesk propagates and leaves the callback open.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_pk, callback_open=True).first()
        if ticket is None:
            return "already closed"  # by a completed callback or another supervisor meanwhile
        try:
            close_callback(ticket, client, done_by=who, at=timezone.now(), reason=reason)
        except freshdesk.NotFound:
            # Deleted in Freshdesk: nothing to untag there, and it must not wait here forever.
            Ticket.objects.filter(pk=ticket.pk).update(
                callback_open=False, callback_done_at=timezone.now(), callback_done_by=who[:150],
                callback_done_reason=f"{reason} (ticket deleted in Freshdesk)"[:255])
            return "deleted"
        try:
            client.add_note(ticket.freshdesk_id, f"<p>Callback closed by {escape(who)}: {escape(reason)}</p>")
        except freshdesk.FreshdeskError as err:
            return err
    return "closed"
