"""At most one Freshdesk ticket per call, although Freshdesk has no idempotency key.

Creating a ticket is a write we cannot safely repeat, so it runs under a lease
kept on the Call row (`ticket_requested_at`), committed *before* the request:

* a fresh lease means another worker is creating this ticket right now: wait;
* a lease older than `LEASE` with no ticket saved means an attempt that got no
  clear answer (timeout, reset, 5xx) or a worker killed between Freshdesk's reply
  and our commit. Before creating again we look for what that attempt may have
  made: the requester's tickets listed since the lease (the list API is real-time,
  unlike search), matched on subject;
* an attempt that ends without a clear answer expires its lease at once, so the
  next attempt reconciles without waiting; a clear refusal (4xx, 429, connection
  refused) releases it.

The window that remains: a created ticket that the list API does not show yet
when the lease has expired (45 s later) would be created again. The list API
reads Freshdesk's primary store, so we know of no such lag; the tests show an
interrupted create reconciled into one ticket.
"""

import logging
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.db import transaction
from django.utils import timezone

from ..clients import freshdesk
from ..models import Call, Ticket
from .menu_fields import menu_fields

logger = logging.getLogger(__name__)

# Longer than one create can take (connect + read timeouts), so a live lease is never stolen.
LEASE = timedelta(seconds=45)
# Freshdesk's clock and ours may differ by a little.
CLOCK_SKEW = timedelta(seconds=120)


class TicketBusy(Exception):
    """Another worker holds this call's ticket lease; try again after `retry_after` s."""

    def __init__(self, retry_after):
        super().__init__(f"another worker is creating this call's ticket; retry in {retry_after}s")
        self.retry_after = retry_after


def ensure_ticket(call_pk, kind, subject, description, tags, requester_name, client):
    """Return the call's Ticket, creating it in Freshdesk only if it surely does not exist."""
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("ticket", "team").get(pk=call_pk)
        if call.ticket_id:
            return call.ticket
        now = timezone.now()
        previous = call.ticket_requested_at
        if previous and now - previous < LEASE:
            raise TicketBusy(int((LEASE - (now - previous)).total_seconds()) + 1)
        call.ticket_requested_at = now
        call.save(update_fields=["ticket_requested_at", "updated_at"])
    requester = call.to_number if call.direction == Call.Direction.OUTBOUND else call.from_number

    stage = "reconcile" if previous else "create"
    try:
        created = _find_earlier_attempt(client, requester, subject, previous) if previous else None
        if created:
            logger.info("ticket reconciled", extra={"call_id": call.call_id, "ticket_id": created["id"]})
        else:
            stage = "create"
            menu = menu_fields(call)
            created = _create(
                client, call, menu.group_id,
                subject=subject, description=description + menu.line, phone=requester, name=requester_name,
                status=freshdesk.TICKET_STATUS_OPEN, priority=freshdesk.TICKET_PRIORITY_MEDIUM,
                source=freshdesk.TICKET_SOURCE_PHONE, tags=[*tags, *menu.tags],
            )
            logger.info("ticket created", extra={"call_id": call.call_id, "ticket_id": created["id"]})
    except freshdesk.FreshdeskError as err:
        # Surely not created: release the lease. Maybe created (or not yet reconciled):
        # expire it, time kept, so the next attempt reconciles without waiting.
        unsure = err.maybe_applied or stage == "reconcile"
        expired = min(previous or now, now) - LEASE
        Call.objects.filter(pk=call_pk, ticket__isnull=True).update(
            ticket_requested_at=expired if unsure else None
        )
        raise
    return _save(call_pk, created["id"], kind, requester, subject, call.team_id)


def _create(client, call, group_id, **fields):
    """Create the ticket in the team's group; without it if Freshdesk no longer has that group.

    A group deleted in Freshdesk is known to us only at the next team sync: a ticket in
    no group is better than no ticket (its tags still say what the caller chose).
    """
    if group_id is None:
        return client.create_ticket(**fields)
    try:
        return client.create_ticket(group_id=group_id, **fields)
    except freshdesk.ValidationFailed as err:
        if not any(isinstance(e, dict) and e.get("field") == "group_id" for e in err.errors):
            raise
        logger.warning("team group refused, ticket created without it",
                       extra={"call_id": call.call_id, "group_id": group_id})
        return client.create_ticket(**fields)


def _save(call_pk, freshdesk_id, kind, requester, subject, team_id=None):
    with transaction.atomic():
        ticket, _ = Ticket.objects.get_or_create(
            freshdesk_id=freshdesk_id,
            defaults={"kind": kind, "requester_number": requester, "subject": subject[:255],
                      "callback_open": kind == Ticket.Kind.CALLBACK, "team_id": team_id},
        )
        Call.objects.filter(pk=call_pk).update(ticket=ticket, updated_at=timezone.now())
    return ticket


def _find_earlier_attempt(client, requester, subject, since):
    """A ticket an interrupted attempt may have created: same requester and subject, since then."""
    updated_since = (since - CLOCK_SKEW).astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for contact in client.find_contacts(requester):
        tickets = client.list_tickets(requester_id=contact["id"], updated_since=updated_since,
                                      order_by="created_at", order_type="desc")
        for ticket in tickets:
            if ticket.get("subject") == subject and ticket.get("created_at", "") >= updated_since:
                return ticket
    return None


def link_ticket(call_pk, freshdesk_id, requester):
    """Log an outbound call on a ticket the agent called from (it may not be one of ours)."""
    ticket, _ = Ticket.objects.get_or_create(
        freshdesk_id=freshdesk_id, defaults={"kind": Ticket.Kind.OUTBOUND, "requester_number": requester},
    )
    Call.objects.filter(pk=call_pk, ticket__isnull=True).update(ticket=ticket, updated_at=timezone.now())
    return Call.objects.select_related("ticket").get(pk=call_pk).ticket
