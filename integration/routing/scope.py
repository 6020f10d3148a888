"""Who a call is routed to, and by which rules: a team, or the whole desk.

    scope = Scope(RoutingSettings.current(), team)   # team=None: the whole desk
    scope.is_open(now); scope.say("busy_message", "sw-KE"); scope.overflow

A team only sets what makes it different; everything it leaves empty comes from the
desk's routing settings, and the desk's hours from BUSINESS_HOURS when supervisors set
none. Pure reading of rows already loaded: no query here.
"""

import functools
import logging
from dataclasses import dataclass

from django.conf import settings

from agents.models import Team

from .business_hours import InvalidSchedule, is_open, parse_holidays, parse_hours
from .texts import pick

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    rules: object  # RoutingSettings
    team: Team | None = None

    def is_open(self, now):
        team_hours = self.team.business_hours if self.team else ""
        hours = _hours((("team", team_hours), ("routing settings", self.rules.business_hours),
                        ("BUSINESS_HOURS", settings.BUSINESS_HOURS)))
        team_holidays = self.team.holidays if self.team else ""
        holidays = _holidays(team_holidays if team_holidays.strip() else self.rules.holidays)
        return is_open(hours, holidays, now)

    def say(self, name, language):
        """The `say` action for message `name` in the caller's language (see texts.pick); [] if none."""
        text, spoken = pick([self.team, self.rules], name, language)
        return [{"say": {"text": text, "language": spoken}}] if text else []

    @property
    def busy_action(self):
        return (self.team.busy_action if self.team else "") or self.rules.busy_action

    @property
    def overflow(self):
        """The scope whose agents are tried when this team has nobody free; None if none.

        Only one step: the overflow team's own overflow is not followed, so two teams
        overflowing into each other cannot send a call round in circles.
        """
        team = self.team
        if (team is None or team.busy_action != Team.BusyAction.OVERFLOW or team.overflow_team is None
                or not team.overflow_team.in_freshdesk):
            return None
        return Scope(self.rules, team.overflow_team)

    @property
    def name(self):
        return self.team.name if self.team else "whole desk"


@functools.lru_cache(maxsize=64)
def _hours(sources):
    """The first readable schedule of (source, text) pairs; open around the clock if none reads.

    A typo must not turn every caller away: ringing an agent is the safer mistake.
    """
    for source, text in sources:
        if not (text or "").strip():
            continue
        try:
            return parse_hours(text)
        except InvalidSchedule as err:
            logger.error("business hours unreadable", extra={"source": source, "error": str(err)})
    return parse_hours("24/7")


@functools.lru_cache(maxsize=64)
def _holidays(text):
    errors = []
    dates = parse_holidays(text, errors=errors)
    if errors:
        logger.error("holiday lines ignored", extra={"errors": errors[:5]})
    return dates
