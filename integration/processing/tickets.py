"""At most one Freshdesk ticket per call, and one open callback per number, with no idempotency key.

    ticket, folded = ensure_ticket(call.pk, NewTicket(...), client)                   # answered, outbound
    ticket, folded = ensure_ticket(call.pk, NewTicket(...), client, fold_since=since) # a missed call

A create is the one write we cannot safely repeat. When it gets no clear answer (a
timeout, a dropped connection, a gateway's 502/504) Freshdesk may have stored the ticket,
or may still store it later: during incidents it has finished creates 40 s after the
client gave up.

1. `Call.ticket_requested_at` is committed, under the call's row lock, just before the
   create is sent: it is when that create was sent. While it is set and no ticket is saved,
   the create's outcome is unknown. A clear refusal (4xx, 429, connection refused) clears
   it; a 500/503 (Freshdesk's own answer: finished) is looked for at once and then cleared;
   anything that may still be running (a timeout, a 502/504, a killed worker) leaves it.
2. Another attempt waits until that create cannot still be in flight at our end
   (`unsure.in_flight_until`), then looks for it: the requester's tickets from the list API
   (real-time, unlike search), matched on the line every ticket we create carries in its
   description, "Sautikit call ID: <call id>", and created — compared as datetimes, offsets
   and all — since the call began. Found: adopted.
3. Not found: the call waits (`unsure.Wait`, which spends no attempt), looking again every
   minute, until FRESHDESK_CREATE_SETTLE_SECONDS (default 300) after the create was *sent*.
   Only then is a create sent again.

The window that remains: a create that Freshdesk stores more than FRESHDESK_CREATE_SETTLE_SECONDS
after it was sent gives a second ticket. We know of none that took longer than 40 s, and
a web stack like Freshdesk's stops working on a request at its application timeout (commonly
60 s behind the gateway, a few minutes at most): docs/reliability.md has the figures. The
price: a ticket whose create really was lost in a timeout arrives that much later.

Missed calls from one number fold into the number's open callback ticket. "Fold or create"
and the claim of the create are decided in one transaction that holds a per-number lock (a
PostgreSQL advisory lock; SQLite serialises it coarser, having a single writer), and while
one call of the number has a create outstanding the number's other missed calls wait for it:
N simultaneous missed calls give one ticket and N−1 notes.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from html import unescape

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.html import escape, strip_tags

from ..accounts import freshdesk_account
from ..clients import freshdesk
from ..models import Call, Ticket, WebhookEvent
from .menu_fields import menu_fields
from .unsure import Wait, wait_while_in_flight, wait_while_it_may_land

logger = logging.getLogger(__name__)

# A missed call whose number has a callback create outstanding looks again this often.
NUMBER_WAIT = 5
# Freshdesk's clock and ours may differ by a little.
CLOCK_SKEW = timedelta(seconds=120)
MARKER = "Sautikit call ID: {}"


class ForeignTicket(Exception):
    """The call is filed under a ticket of another Freshdesk account than the configured one."""


@dataclass(frozen=True)
class NewTicket:
    """What to create when the call has no ticket; the call-id line is added to `description`."""

    kind: str
    subject: str
    description: str
    tags: tuple
    requester_name: str


@dataclass(frozen=True)
class _Claim:
    call: Call
    ticket: Ticket | None = None
    folded: bool = False
    sent: datetime | None = None  # when the call's create was sent (or, if `ours`, is being sent)
    ours: bool = False


def ensure_ticket(call_pk, new, client, fold_since=None):
    """The call's Ticket and whether it was filed under another call's (`folded`).

    Creates the ticket in Freshdesk only when it surely does not exist there. With
    `fold_since`, a missed call is filed under its number's callback ticket opened since
    then, if one is still open. Raises `unsure.Wait` when it must wait.
    """
    claim = _claim(call_pk, fold_since)
    if claim.sent and not claim.ours:
        found = _look_for_created(client, claim.call)
        if found:
            logger.info("ticket reconciled", extra={"call_id": claim.call.call_id, "ticket_id": found["id"]})
            return _save(claim.call, found["id"], new), False
        claim = _claim(call_pk, fold_since, looked_for=claim.sent)
        if claim.sent and not claim.ours:
            raise Wait(NUMBER_WAIT, "another attempt sent a ticket create meanwhile")
    if claim.ticket:
        return claim.ticket, claim.folded
    return _create(claim, new, client), False


def _claim(call_pk, fold_since, looked_for=None):
    """Under the call's lock (and its number's, when folding): what this attempt is to do.

    `looked_for` is the send time of a create we have just looked for in vain.
    """
    with transaction.atomic():
        if fold_since is not None:
            _lock_number(Call.objects.values_list("from_number", flat=True).get(pk=call_pk))
        call = Call.objects.select_for_update(of=("self",)).select_related("ticket", "team").get(pk=call_pk)
        if call.ticket_id:
            check_account(call)
            return _Claim(call, ticket=call.ticket, folded=call.ticket_requested_at is None)
        now = timezone.now()
        sent = call.ticket_requested_at
        if sent is not None and sent != looked_for:
            wait_while_in_flight(sent, now, "this call's ticket create")
            return _Claim(call, sent=sent)  # go and look for what it made
        if sent is not None:
            wait_while_it_may_land(sent, now, "this call's ticket create")
            logger.info("unsure ticket create can no longer land", extra={"call_id": call.call_id})
        if fold_since is not None:
            folded = _fold(call, fold_since)
            if folded:
                return _Claim(call, ticket=folded, folded=True)
        call.ticket_requested_at = now
        call.save(update_fields=["ticket_requested_at", "updated_at"])
        return _Claim(call, sent=now, ours=True)


def _fold(call, since):
    """The number's open callback to file this missed call under, or None to create one."""
    open_callback = Ticket.objects.oldest_open_callback(call.from_number, opened_since=since)
    if open_callback:
        Call.objects.filter(pk=call.pk).update(ticket=open_callback, ticket_requested_at=None,
                                               updated_at=timezone.now())
        return open_callback
    pending = WebhookEvent.objects.filter(call_id=OuterRef("call_id"), status__in=(
        WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING))
    creating = Call.objects.filter(
        direction=Call.Direction.INBOUND, from_number=call.from_number, ticket__isnull=True,
        ticket_requested_at__isnull=False,
    ).exclude(pk=call.pk).filter(Exists(pending))
    if creating.exists():
        raise Wait(NUMBER_WAIT, f"another call from {call.from_number} is opening its callback ticket")
    return None


def _lock_number(number):
    """Serialise callback decisions for `number` until the transaction ends."""
    if connection.vendor != "postgresql":
        return  # SQLite: transactions begin IMMEDIATE (settings), holding its one write lock
    digest = hashlib.blake2b(f"sautidesk.callback:{number}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def check_account(call):
    """Refuse to act on a call filed under another Freshdesk account's ticket (its id means another)."""
    if call.ticket_id and call.ticket.account != freshdesk_account():
        raise ForeignTicket(f"call {call.call_id} is on ticket #{call.ticket.freshdesk_id} of Freshdesk account "
                            f"{call.ticket.account}, not the configured {freshdesk_account()}")


def _requester(call):
    return call.to_number if call.direction == Call.Direction.OUTBOUND else call.from_number


def _create(claim, new, client):
    call = claim.call
    menu = menu_fields(call)
    try:
        created = _create_in_group(
            client, call, menu.group_id,
            subject=new.subject,
            description=new.description + menu.line + f"<p>{escape(MARKER.format(call.call_id))}</p>",
            phone=_requester(call), name=new.requester_name, status=freshdesk.TICKET_STATUS_OPEN,
            priority=freshdesk.TICKET_PRIORITY_MEDIUM, source=freshdesk.TICKET_SOURCE_PHONE,
            tags=[*new.tags, *menu.tags],
        )
    except freshdesk.FreshdeskError as err:
        if err.may_land_later:
            raise  # the next attempts wait for it (module docstring)
        found = _look_for_created(client, call) if err.maybe_applied else None
        if found:
            logger.info("ticket reconciled", extra={"call_id": call.call_id, "ticket_id": found["id"]})
            return _save(call, found["id"], new)
        Call.objects.filter(pk=call.pk, ticket__isnull=True, ticket_requested_at=claim.sent).update(
            ticket_requested_at=None)  # surely not created: nothing to wait for
        raise
    logger.info("ticket created", extra={"call_id": call.call_id, "ticket_id": created["id"]})
    return _save(call, created["id"], new)


def _create_in_group(client, call, group_id, **fields):
    """Create the ticket in the team's group; without it if Freshdesk no longer has that group.

    A group deleted in Freshdesk is known to us only at the next team sync: a ticket in
    no group is better than no ticket (its tags still say what the caller chose). A 400 is
    a finished refusal, so the second create cannot double the first.
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


def _save(call, freshdesk_id, new):
    with transaction.atomic():
        ticket, _ = Ticket.objects.get_or_create(
            freshdesk_id=freshdesk_id,
            defaults={"kind": new.kind, "requester_number": _requester(call), "subject": new.subject[:255],
                      "callback_open": new.kind == Ticket.Kind.CALLBACK, "team_id": call.team_id},
        )
        Call.objects.filter(pk=call.pk).update(ticket=ticket, updated_at=timezone.now())
    return ticket


def _look_for_created(client, call):
    """The ticket an earlier create for this call made, if Freshdesk shows it now."""
    since = call.started_at - CLOCK_SKEW
    wanted = re.compile(re.escape(" ".join(MARKER.format(call.call_id).split())) + r"(?!\S)")
    for contact in client.find_contacts(_requester(call)):
        tickets = client.list_tickets(
            requester_id=contact["id"], include="description", order_by="created_at", order_type="desc",
            updated_since=since.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), per_page=100,
        )
        for ticket in tickets:
            text = ticket.get("description_text") or unescape(strip_tags(ticket.get("description") or ""))
            if _created_since(ticket, since) and wanted.search(" ".join(text.split())):
                return ticket
    return None


def _created_since(ticket, since):
    """Freshdesk's `created_at` read as a datetime ("Z" or an offset); unreadable: the marker decides."""
    try:
        created = datetime.fromisoformat(ticket["created_at"])
    except (KeyError, TypeError, ValueError):
        return True
    return (created if created.tzinfo else created.replace(tzinfo=dt_timezone.utc)) >= since


def link_ticket(call_pk, freshdesk_id, requester):
    """Log an outbound call on a ticket the agent called from (it may not be one of ours)."""
    ticket, _ = Ticket.objects.get_or_create(
        freshdesk_id=freshdesk_id, defaults={"kind": Ticket.Kind.OUTBOUND, "requester_number": requester},
    )
    Call.objects.filter(pk=call_pk, ticket__isnull=True).update(ticket=ticket, updated_at=timezone.now())
    return Call.objects.select_related("ticket").get(pk=call_pk).ticket
