"""Answering `call.routing` with voice actions (contract §4), while the caller waits.

    voice_actions(event)  # -> {"actions": [{"say": ...}, {"dial": ...}]}

Nothing here calls Freshdesk: availability is what `agents.tasks.refresh_availability`
last copied onto the AgentPhone rows, so a slow or failing Freshdesk leaves routing
answering from the last known state in a few milliseconds (issue 4).

The agent is the longest idle of those active, available, with a number to dial and
not on a call by our own Call records. A call whose `call.completed` or `call.failed`
never comes stops counting after a bound (its dial timeout if never answered, a few
hours if answered), so one lost event never locks an agent out. Marking the choice
(`last_routed_at`, `Call.agent`) is a conditional update in one transaction, so two calls
arriving together are not both sent to the same agent; `Call.agent` is also what the
softphone's screen pop reads.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agents.models import AgentPhone

from .business_hours import InvalidSchedule, is_open, parse_holidays, parse_hours
from ..models import Call, RoutingSettings
from ..phones import normalise

logger = logging.getLogger(__name__)

DIAL_TIMEOUT = 25
# A ringing call whose end we never heard of is over once its dial timeout has passed.
RINGING_BOUND = timedelta(seconds=DIAL_TIMEOUT + 15)
# An answered one after this long: longer than any real support call.
ANSWERED_BOUND = timedelta(hours=4)
# Claims lost to simultaneous routings before answering "busy": each loss is another
# call that got an agent in the meantime.
CLAIM_ATTEMPTS = 10
VOICEMAIL = {"record": {"maxLength": 120, "finishOnKey": "#", "playBeep": True}}


class Outcome:
    DIALLED = "dialled"
    CLOSED = "closed"  # out of hours or a holiday: voicemail
    BUSY = "busy"  # in hours, nobody free: voicemail or hangup per RoutingSettings.busy_action


@dataclass(frozen=True)
class Decision:
    outcome: str
    agent: AgentPhone | None = None


def voice_actions(event, now=None):
    """The voice-action document answering `event` (a verified `call.routing`)."""
    now = now or timezone.now()
    rules = RoutingSettings.objects.order_by("pk").first() or RoutingSettings()
    decision = decide(event.call_id, rules, now)
    logger.info("call routed", extra={
        "call_id": event.call_id, "outcome": decision.outcome,
        "freshdesk_agent_id": decision.agent.freshdesk_agent_id if decision.agent else None,
    })
    return {"actions": actions_for(decision, rules, caller_id=_caller_id(event))}


def decide(call_id, rules, now):
    hours = _hours(rules.business_hours, settings.BUSINESS_HOURS)
    if not is_open(hours, _holidays(rules.holidays), now):
        return Decision(Outcome.CLOSED)
    agent = assign_agent(call_id, now)
    return Decision(Outcome.DIALLED, agent) if agent else Decision(Outcome.BUSY)


def actions_for(decision, rules, caller_id):
    def say(text):
        return [{"say": {"text": text, "language": rules.language}}] if text.strip() else []

    if decision.outcome == Outcome.DIALLED:
        dial = {"to": normalise(decision.agent.dial_number).value, "callerId": caller_id,
                "timeout": DIAL_TIMEOUT}
        return [*say(rules.greeting), {"dial": dial}]
    if decision.outcome == Outcome.CLOSED:
        return [*say(rules.closed_message), VOICEMAIL, {"hangup": {}}]
    if rules.busy_action == RoutingSettings.BusyAction.VOICEMAIL:
        return [*say(rules.busy_message), VOICEMAIL, {"hangup": {}}]
    return [*say(rules.busy_message), {"hangup": {}}]


def assign_agent(call_id, now):
    """Choose the longest-idle free agent for `call_id` and mark them; None if nobody is free.

    The claim is a conditional update of the agent's `last_routed_at`, in one transaction
    with `Call.agent`: a routing that chose the same agent a moment earlier holds that row
    until it commits, after which the condition no longer holds here and we look again
    (by then that call makes the agent busy). A routing holds at most one agent row at a
    time (see `_claim`), so it never deadlocks with another routing or the sync.
    A repeated delivery of the same `call.routing` gets the agent chosen the first time.
    """
    with transaction.atomic():
        call = Call.objects.select_related("agent").filter(call_id=call_id).first()
        if call is not None and _reachable_now(call.agent):
            return call.agent
        lost = []
        for _ in range(CLAIM_ATTEMPTS):
            agent = (
                _free_agents(now, exclude_call_id=call_id).exclude(pk__in=lost)
                .order_by(F("last_routed_at").asc(nulls_first=True), "pk")
                .first()
            )
            if agent is None:
                return None
            if _claim(agent, now):
                if call is not None:
                    Call.objects.filter(pk=call.pk).update(agent=agent, updated_at=now)
                else:
                    logger.warning("routing found no call row", extra={"call_id": call_id})
                return agent
            # Simultaneous routings all reach for the same longest-idle agent: the one
            # that lost moves down the line rather than queueing for them again.
            lost.append(agent.pk)
        logger.warning("routing lost every race for an agent", extra={"call_id": call_id})
        return None


def _claim(agent, now):
    """Mark `agent` as routed to now, unless another routing did since we read them.

    A conditional UPDATE that loses keeps the row lock PostgreSQL took to re-check the
    row; holding it while reaching for the next agent could deadlock with another
    routing or the sync, so a lost claim is rolled back to its savepoint.
    """
    savepoint = transaction.savepoint()
    claimed = AgentPhone.objects.filter(pk=agent.pk, last_routed_at=agent.last_routed_at).update(
        last_routed_at=now
    )
    if not claimed:
        transaction.savepoint_rollback(savepoint)
    return bool(claimed)


def _reachable_now(agent):
    return agent is not None and agent.is_active and bool(agent.dial_number)


def _free_agents(now, exclude_call_id):
    """Available, reachable agents with no call in progress: theirs, or placed from their login.

    The live calls are one subquery PostgreSQL runs once (not once per agent), over
    the status index, so routing stays fast however large the calls table grows.
    """
    live = Call.objects.filter(
        Q(status=Call.Status.RINGING, started_at__gte=now - RINGING_BOUND)
        | Q(status=Call.Status.ANSWERED, started_at__gte=now - ANSWERED_BOUND)
    ).exclude(call_id=exclude_call_id)
    # NOT IN over a NULL would exclude everyone: only non-null ids go in.
    return (
        AgentPhone.objects.dialable().filter(available=True)
        .exclude(pk__in=live.filter(agent__isnull=False).values("agent_id"))
        .exclude(user__in=live.filter(placed_by__isnull=False).values("placed_by_id"))
    )


def _caller_id(event):
    # The caller sees the number they rang; the configured one if that did not parse.
    called = normalise(event.to_number) if event.to_number else None
    return called.value if called and called.valid else settings.SAUTIKIT_FROM_NUMBER


@functools.lru_cache(maxsize=16)
def _hours(spec, default):
    """Supervisors' hours, else BUSINESS_HOURS; open around the clock if neither reads.

    A typo must not turn every caller away: ringing an agent is the safer mistake.
    """
    for source, text in (("routing settings", spec), ("BUSINESS_HOURS", default)):
        if not (text or "").strip():
            continue
        try:
            return parse_hours(text)
        except InvalidSchedule as err:
            logger.error("business hours unreadable", extra={"source": source, "error": str(err)})
    return parse_hours("24/7")


@functools.lru_cache(maxsize=16)
def _holidays(text):
    errors = []
    dates = parse_holidays(text, errors=errors)
    if errors:
        logger.error("holiday lines ignored", extra={"errors": errors[:5]})
    return dates
