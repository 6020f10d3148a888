"""Screen pop: the inbound call routing just sent to an agent, with the caller's ticket.

The softphone page asks every couple of seconds, so everything here reads our own
tables. The one outside look-up, the caller's name in Freshdesk, is optional: a
short timeout, its answer (or its failure) cached, and never an error for the page.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from integration.clients.freshdesk import FreshdeskClient, FreshdeskError
from integration.models import Call, Ticket

logger = logging.getLogger(__name__)

# Routing creates the Call when Sautikit asks where to send it; after this long a call that
# is still "ringing" or "answered" in our tables is old news for a pop-up.
POP_WINDOW = timedelta(seconds=90)
NAME_TIMEOUT = (1, 1.5)  # connect, read: the page must not wait on Freshdesk
NAME_CACHE_SECONDS = 600
NAME_FAILURE_CACHE_SECONDS = 60


def incoming_call(agent, now=None):
    """The latest inbound call routed to `agent` that is still ringing or answered, or None."""
    now = now or timezone.now()
    return (
        Call.objects.filter(agent=agent, direction=Call.Direction.INBOUND,
                            status__in=(Call.Status.RINGING, Call.Status.ANSWERED),
                            started_at__gte=now - POP_WINDOW)
        .order_by("-started_at")
        .first()
    )


def caller_ticket(number):
    """The ticket to open for a caller: an open callback first, else their most recent one."""
    return (
        Ticket.objects.filter(requester_number=number)
        .order_by("-callback_open", "-created_at")
        .first()
    )


def caller_name(number):
    """The caller's name from their Freshdesk contact, or "" (unknown, or Freshdesk slow/down)."""
    key = f"softphone:caller-name:{number}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        # The agent's phone is ringing: ahead of bulk ticket creation in the budget.
        client = FreshdeskClient.from_settings(priority=True)
        client.timeout = NAME_TIMEOUT
        contacts = client.find_contacts(number)
    except (FreshdeskError, ImproperlyConfigured, ValueError) as err:  # ValueError: not JSON
        logger.info("caller name lookup skipped", extra={"error": type(err).__name__})
        cache.set(key, "", NAME_FAILURE_CACHE_SECONDS)
        return ""
    names = [c.get("name") for c in contacts if isinstance(c, dict) and isinstance(c.get("name"), str)]
    name = names[0].strip()[:150] if names else ""
    cache.set(key, name, NAME_CACHE_SECONDS)
    return name


def pop_for(agent):
    """What the page shows for the agent's incoming call (a JSON-ready dict), or None."""
    call = incoming_call(agent)
    if call is None:
        return None
    ticket = caller_ticket(call.from_number)
    return {
        "id": call.pk,
        "call_id": call.call_id,
        "from": call.from_number,
        "name": caller_name(call.from_number) if not call.number_unparsed else "",
        "status": call.status,
        "status_display": call.get_status_display(),
        "ticket": ticket_json(ticket),
    }


def ticket_json(ticket):
    if ticket is None:
        return None
    return {"id": ticket.freshdesk_id, "url": ticket.freshdesk_url, "subject": ticket.subject,
            "callback_open": ticket.callback_open}
