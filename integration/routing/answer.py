"""Answering `call.routing` with voice actions (contract §4), while the caller waits.

    voice_actions(event)  # -> {"actions": [{"say": ...}, {"dial": ...}]}

With a voice menu for the number called (`menu.py`), the first `call.routing` of a call
is answered with the menu (`getDigits`) and the ones carrying the caller's `digits` with
what their choice leads to: a team's agents, a message, a voicemail. Without one, calls
go to the whole desk, as they always did. A team is routed exactly like the whole desk,
among its own agents and by its own rules (`scope.py`).

Nothing here calls Freshdesk: availability and teams are what `agents.tasks` last copied
onto our rows, so a slow or failing Freshdesk leaves routing answering from the last known
state in a few milliseconds (issue 4).

The agent is the longest idle of those active, available, with a number to dial and
not on a call by our own Call records. A call whose `call.completed` or `call.failed`
never comes stops counting after a bound (its dial timeout if never answered, a few
hours if answered), so one lost event never locks an agent out. Marking the choice
(`last_routed_at`, `Call.agent`) is a conditional update in one transaction, so two calls
arriving together are not both sent to the same agent; `Call.agent` is also what the
softphone's screen pop reads.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agents.models import AgentPhone

from ..models import Call, MenuOption, RoutingSettings
from ..phones import normalise
from . import menu as menus
from .scope import Scope

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
HANGUP = {"hangup": {}}


class Outcome:
    DIALLED = "dialled"
    CLOSED = "closed"  # out of hours or a holiday: voicemail
    BUSY = "busy"  # in hours, nobody free: voicemail or hangup per the busy action


@dataclass(frozen=True)
class Decision:
    outcome: str
    agent: AgentPhone | None = None
    overflowed: bool = False  # the agent is from the team's overflow team


def voice_actions(event, now=None):
    """The voice-action document answering `event` (a verified `call.routing`)."""
    now = now or timezone.now()
    menu = menus.answering_menu(event.to_number)
    if menu is not None and event.digits is None:
        logger.info("menu offered", extra={"call_id": event.call_id, "language": menu.language})
        return {"actions": [menus.prompt(menu, menu.language)]}
    rules = RoutingSettings.current()
    if menu is None:
        return {"actions": _route(event, Scope(rules), rules.language, now)}
    # One transaction for the keys and the agent: a commit less while the caller waits, and a
    # repeated delivery of this step waits on the call's row until its agent is set.
    with transaction.atomic():
        return {"actions": _answer_keys(event, menu, rules, now)}


def _answer_keys(event, menu, rules, now):
    step = menus.take_keys(event.call_id, menu, event.digits, event.signed_at)
    if not step.choice:
        return [menus.prompt(menu, step.language, again=step.misses > 0)]
    option = menus.option(menu, step.choice)
    if option is not None and option.action == MenuOption.Action.MESSAGE:
        logger.info("call routed", extra={"call_id": event.call_id, "outcome": "message",
                                          "menu_choice": step.choice})
        return [*menus.option_message(option, step.language), HANGUP]
    if option is not None and option.action == MenuOption.Action.VOICEMAIL:
        logger.info("call routed", extra={"call_id": event.call_id, "outcome": "voicemail",
                                          "menu_choice": step.choice})
        return [*menus.option_message(option, step.language, "voicemail_message"), VOICEMAIL, HANGUP]
    return _route(event, Scope(rules, step.team), step.language, now)


def _route(event, scope, language, now):
    decision = decide(event.call_id, scope, now)
    logger.info("call routed", extra={
        "call_id": event.call_id, "outcome": decision.outcome, "team": scope.name,
        "overflowed": decision.overflowed,
        "freshdesk_agent_id": decision.agent.freshdesk_agent_id if decision.agent else None,
    })
    return actions_for(decision, scope, language, caller_id=_caller_id(event))


def decide(call_id, scope, now):
    if not scope.is_open(now):
        return Decision(Outcome.CLOSED)
    agent = assign_agent(call_id, now, scope.team)
    if agent:
        return Decision(Outcome.DIALLED, agent)
    overflow = scope.overflow
    if overflow is not None and overflow.is_open(now):
        agent = assign_agent(call_id, now, overflow.team)
        if agent:
            return Decision(Outcome.DIALLED, agent, overflowed=True)
    return Decision(Outcome.BUSY)


def actions_for(decision, scope, language, caller_id):
    if decision.outcome == Outcome.DIALLED:
        dial = {"to": normalise(decision.agent.dial_number).value, "callerId": caller_id,
                "timeout": DIAL_TIMEOUT}
        # An overflowed call reaches another team: the desk's words, not the chosen team's.
        greeting = Scope(scope.rules) if decision.overflowed else scope
        return [*greeting.say("greeting", language), {"dial": dial}]
    if decision.outcome == Outcome.CLOSED:
        return [*scope.say("closed_message", language), VOICEMAIL, HANGUP]
    if scope.busy_action == RoutingSettings.BusyAction.HANGUP:
        return [*scope.say("busy_message", language), HANGUP]
    # Voicemail, and the end of an overflow that found nobody either.
    return [*scope.say("busy_message", language), VOICEMAIL, HANGUP]


def assign_agent(call_id, now, team=None):
    """Choose the longest-idle free agent (of `team`, if given) for `call_id`; None if nobody is free.

    The claim is a conditional update of the agent's `last_routed_at`, in one transaction
    with `Call.agent`: a routing that chose the same agent a moment earlier holds that row
    until it commits, after which the condition no longer holds here and we look again
    (by then that call makes the agent busy). A routing holds at most one agent row at a
    time (see `_claim`), so it never deadlocks with another routing or the sync.
    A repeated delivery of the same `call.routing` gets the agent chosen the first time.
    A call already over gets nobody: a late delivery must not mark an agent as ringing.
    Inside the menu's transaction (`_answer_keys`) this joins it rather than adding a
    savepoint: one round trip less each way while the caller waits.
    """
    with transaction.atomic(savepoint=False):
        call = Call.objects.select_related("agent").filter(call_id=call_id).first()
        if call is not None and _reachable_now(call.agent):
            return call.agent
        if call is not None and call.status in (Call.Status.COMPLETED, Call.Status.FAILED):
            return None
        lost = []
        for _ in range(CLAIM_ATTEMPTS):
            agent = (
                _free_agents(now, exclude_call_id=call_id, team=team).exclude(pk__in=lost)
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


def _free_agents(now, exclude_call_id, team=None):
    """Available, reachable agents (of `team`) with no call in progress: theirs, or placed from their login.

    The live calls are one subquery PostgreSQL runs once (not once per agent), over
    the status index, so routing stays fast however large the calls table grows.
    """
    live = Call.objects.filter(
        Q(status=Call.Status.RINGING, started_at__gte=now - RINGING_BOUND)
        | Q(status=Call.Status.ANSWERED, started_at__gte=now - ANSWERED_BOUND)
    ).exclude(call_id=exclude_call_id)
    agents = AgentPhone.objects.dialable().filter(available=True)
    if team is not None:
        agents = agents.filter(teams=team)
    # NOT IN over a NULL would exclude everyone: only non-null ids go in.
    return (
        agents.exclude(pk__in=live.filter(agent__isnull=False).values("agent_id"))
        .exclude(user__in=live.filter(placed_by__isnull=False).values("placed_by_id"))
    )


def _caller_id(event):
    # The caller sees the number they rang; the configured one if that did not parse.
    called = normalise(event.to_number) if event.to_number else None
    return called.value if called and called.valid else settings.SAUTIKIT_FROM_NUMBER
