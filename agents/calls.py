"""Placing an outbound call from the softphone (contract §5), with the API key kept server-side.

    placed = place_call(request.user, "0712 345 678", ticket_id=123)
    placed.call, placed.duplicate

Before anything else, the destination policy (agents/destinations.py) and the daily spend
caps (agents/spend.py) may refuse the call: every outbound path comes through here, so
nothing reaches Sautikit without passing them.

A double click must never ring the customer twice, and two clicks can arrive on
two web processes at once. So placing runs in three steps:

1. one short transaction holding the agent's row lock (`select_for_update` on
   AgentPhone; SQLite's IMMEDIATE transactions serialise the same way): if this
   user already has a call to this number that is being placed or was placed a
   few seconds ago, return it; otherwise insert a *pending* Call row whose
   `call_id` is provisional. The lock is held for milliseconds, never across the
   HTTP request to Sautikit;
2. `POST /v1/calls` outside any transaction;
3. on success the pending row takes Sautikit's call id (merging into the row a
   fast webhook may already have created for it); on failure it is deleted.

Why a failed placement leaves no Call row: `Call.call_id` is Sautikit's id and
every Call is a call Sautikit knows about (webhooks, admin, callback queue read
it that way). A call Sautikit refused has no id and never rang; the agent sees
the reason on the page and the log line keeps the attempt.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import AgentPhone
from integration.clients import sautikit
from integration.models import Call, Ticket
from integration.processing.tickets import link_ticket

from .destinations import refusal_for
from .spend import OverCap, check_caps

logger = logging.getLogger(__name__)

PENDING_PREFIX = "pending:"
# A second click on the same number within this time returns the first call.
DUPLICATE_WINDOW = timedelta(seconds=10)
# A pending row older than this belongs to a request that died mid-way (longer than
# Sautikit's connect + read timeouts): it no longer blocks a new call.
PENDING_STALE = timedelta(seconds=60)
LIVE_STATUSES = (Call.Status.RINGING, Call.Status.ANSWERED)


class NotAnAgent(Exception):
    """The user is not linked to an active AgentPhone, so may not place calls."""


class CallNotPlaced(Exception):
    """The call was not placed (refused here, or by Sautikit); `message` is fit for the agent,
    `http_status` for the API."""

    def __init__(self, message, http_status):
        super().__init__(message)
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class Placed:
    call: Call
    duplicate: bool


def is_pending(call):
    return call.call_id.startswith(PENDING_PREFIX)


def active_agent(user):
    """The user's active AgentPhone, or None."""
    agent = getattr(user, "agent_phone", None) if user.is_authenticated else None
    return agent if agent is not None and agent.is_active else None


def place_call(user, to, ticket_id=None, request_id=""):
    """Place a call to `to` (already E.164) for `user`; raise NotAnAgent or CallNotPlaced."""
    agent = active_agent(user)
    if agent is None:
        raise NotAnAgent("Your login is not linked to an active agent.")
    log = {"agent_id": agent.freshdesk_agent_id, "user_id": user.pk, "request_id": request_id}
    refusal = refusal_for(to)
    if refusal is not None:
        logger.warning("outbound call refused by the destination policy",
                       extra={**log, "reason": refusal.reason, "to": _masked(to)})
        raise CallNotPlaced(refusal.message, 403)
    try:
        pending, duplicate = _claim(agent, user, to, ticket_id)
    except OverCap as err:
        logger.warning("outbound call refused by the daily cap", extra={**log, "cap": err.scope})
        raise CallNotPlaced(err.message, 403) from err
    log["call_pk"] = pending.pk
    if duplicate:
        logger.info("outbound call duplicate click", extra={**log, "call_id": pending.call_id})
        return Placed(pending, True)
    try:
        response = _send(agent, to, ticket_id or (pending.ticket.freshdesk_id if pending.ticket else None))
        call_id = _call_id(response)
    except CallNotPlaced as err:
        Call.objects.filter(pk=pending.pk, call_id=pending.call_id).delete()
        logger.warning("outbound call not placed", extra={**log, "reason": err.message,
                                                           "http_status": err.http_status})
        raise
    call = _confirm(pending, call_id)
    logger.info("outbound call placed", extra={**log, "call_id": call.call_id,
                                                "ticket_id": call.ticket.freshdesk_id if call.ticket else None})
    return Placed(call, False)


def _claim(agent, user, to, ticket_id):
    """Return (an existing live call to `to`, True) or (a new pending Call row, False)."""
    now = timezone.now()
    with transaction.atomic():
        AgentPhone.objects.select_for_update().get(pk=agent.pk)
        # A pending row this old was left by a request that died mid-way; if Sautikit did
        # place that call, its webhooks create the call's own row.
        Call.objects.filter(placed_by=user, call_id__startswith=PENDING_PREFIX,
                            started_at__lt=now - PENDING_STALE).delete()
        recent = (
            Call.objects.select_related("ticket")
            .filter(placed_by=user, direction=Call.Direction.OUTBOUND, to_number=to,
                    status__in=LIVE_STATUSES, started_at__gte=now - PENDING_STALE)
            .order_by("-started_at")
        )
        for call in recent:
            if is_pending(call) or call.started_at >= now - DUPLICATE_WINDOW:
                return call, True
        # Under the agent's row lock, so two clicks of one agent cannot both pass the cap.
        check_caps(agent, now)
        ticket = None
        if ticket_id is None:
            ticket = Ticket.objects.oldest_open_callback(to)
        pending = Call.objects.create(
            call_id=f"{PENDING_PREFIX}{uuid.uuid4().hex}", direction=Call.Direction.OUTBOUND,
            from_number=settings.SAUTIKIT_FROM_NUMBER, to_number=to, status=Call.Status.RINGING,
            agent=agent, placed_by=user, ticket=ticket,
        )
    if ticket_id is not None:
        # The agent called from a ticket: log the call there, even if SautiDesk did not create it.
        pending.ticket = link_ticket(pending.pk, ticket_id, to)
    return pending, False


def _masked(number):
    """The number with its last digits hidden: enough to see the range an attempt aimed at."""
    return number[:-4] + "****" if len(number) > 8 else "****"


def _send(agent, to, ticket_id):
    metadata = {"agent_id": agent.freshdesk_agent_id}
    if ticket_id:
        metadata["freshdesk_ticket_id"] = ticket_id
    base = settings.PUBLIC_BASE_URL
    callback_url = f"{base}/webhooks/sautikit/" if base else None
    try:
        return sautikit.SautikitClient.from_settings().place_call(
            to, voice_callback_url=callback_url, metadata=metadata)
    except ImproperlyConfigured as err:
        # Reported loudly (the system check names it too); the agent gets a plain answer.
        logger.error("softphone not configured", extra={"problem": str(err)})
        raise CallNotPlaced(f"Calling is not set up yet ({err}). Ask an administrator.", 503) from err
    except sautikit.SautikitError as err:
        raise CallNotPlaced(*_explain(err)) from err


def _explain(err):
    """(what the agent reads, our HTTP status) for a Sautikit error."""
    if isinstance(err, sautikit.Unavailable):
        if err.maybe_applied:
            # The request reached Sautikit, which may have placed the call after we stopped
            # waiting: say so honestly rather than "not placed".
            return ("Sautikit did not answer in time. If the customer's phone rings, the call went "
                    "through; otherwise try again.", 504)
        return "Sautikit did not answer; the call was not placed.", 503
    if isinstance(err, sautikit.AuthenticationFailed):
        return "Sautikit refused our API key; ask an administrator to check SAUTIKIT_API_KEY.", 502
    if isinstance(err, sautikit.ServerError):
        return "Sautikit is having trouble; the call was not placed. Try again in a minute.", 502
    if isinstance(err, sautikit.Refused):
        return f"Sautikit refused the call: {str(err).rstrip('.')}.", 502
    return ("Sautikit's answer could not be read; the call may have been placed. Check the call "
            "log before trying again.", 502)


def _call_id(response):
    call_id = response.get("call_id") if isinstance(response, dict) else None
    if not isinstance(call_id, str) or not 0 < len(call_id) <= 64 or "\x00" in call_id:
        raise CallNotPlaced("Sautikit answered without a usable call id; the call may not have "
                            "been placed.", 502)
    return call_id


def _confirm(pending, call_id):
    """Give the pending row Sautikit's id; if a webhook already created that call, merge into it."""
    try:
        with transaction.atomic():
            Call.objects.filter(pk=pending.pk).update(call_id=call_id, updated_at=timezone.now())
    except IntegrityError:
        with transaction.atomic():
            early = Call.objects.select_for_update().get(call_id=call_id)
            for name in ("agent_id", "placed_by_id", "ticket_id"):
                if getattr(early, name) is None:
                    setattr(early, name, getattr(pending, name))
            early.direction = Call.Direction.OUTBOUND
            early.save(update_fields=["agent", "placed_by", "ticket", "direction", "updated_at"])
            Call.objects.filter(pk=pending.pk).delete()
    return Call.objects.select_related("ticket").get(call_id=call_id)
