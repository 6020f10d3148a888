"""Today's outbound spend against the daily caps, counted from our own Call records (DESIGN §7).

    check_caps(agent)     # raises OverCap, whose message is for the agent, when a cap is reached
    spend = today()       # the company's and each agent's spend and caps, for the dashboard

What counts: outbound calls started today, on the Africa/Nairobi calendar (TIME_ZONE).

* A call Sautikit reported as completed counts its cost_kes (KES 0.05/s, integration.pricing).
* A failed call costs nothing.
* A call still in progress — being placed, ringing or answered — has no cost until its
  call.completed arrives, so it counts as IN_PROGRESS_MINUTES of talk (KES 30.00). Without
  that, a script on a hijacked login could start dozens of long calls before the first one
  is priced; with it, each call started holds part of the cap until its real cost replaces
  the estimate. A call whose call.completed never arrives keeps that estimate for the day.

A call is refused when the spend counted this way has already reached a cap; the call that
crosses a cap runs to its end (Sautikit cannot be asked to hang up), so a day's real spend can
pass a cap by what the calls in progress at that moment cost. Recording charges are not in a
call's cost_kes and are not counted.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from integration.models import Call
from integration.pricing import call_cost

from .models import CallingLimits

IN_PROGRESS_MINUTES = 10
IN_PROGRESS_KES = call_cost(Call.Direction.OUTBOUND, IN_PROGRESS_MINUTES * 60)
IN_PROGRESS = (Call.Status.RINGING, Call.Status.ANSWERED)
WHERE_TO_RAISE = "a supervisor can raise the cap (Admin → Calling limits)"


@dataclass(frozen=True)
class Spent:
    """What a set of today's calls cost: priced calls, plus the estimate for those in progress."""

    priced: Decimal = Decimal("0")
    in_progress: int = 0

    @property
    def total(self):
        return self.priced + self.in_progress * IN_PROGRESS_KES

    def text(self):
        live = ""
        if self.in_progress:
            live = (f" (counting {self.in_progress} call{'s' if self.in_progress > 1 else ''} in "
                    f"progress at KES {IN_PROGRESS_KES:,.2f} each)")
        return f"KES {self.total:,.2f}{live}"


@dataclass(frozen=True)
class Caps:
    """The daily caps in force, in KES; None: no cap."""

    agent: Decimal | None
    company: Decimal | None


def against(cap):
    """How a cap reads beside a spend: 'of KES 1,000.00', or 'no cap'."""
    return "no cap" if cap is None else f"of KES {cap:,.2f}"


@dataclass(frozen=True)
class AgentSpend:
    name: str
    spent: Spent
    cap: Decimal | None

    @property
    def cap_text(self):
        return against(self.cap)


@dataclass
class SpendToday:
    caps: Caps
    company: Spent
    agents: list = field(default_factory=list)

    @property
    def company_cap_text(self):
        return against(self.caps.company)


class OverCap(Exception):
    """A daily cap is reached; `message` tells the agent which and what to do."""

    def __init__(self, scope, message):
        super().__init__(message)
        self.scope = scope
        self.message = message


def caps():
    """The supervisors' caps (Admin → Calling limits) where set, else the settings; 0 is no cap."""
    row = CallingLimits.objects.order_by("pk").first()

    def pick(value, setting):
        cap = Decimal(str(setting)) if value is None else value
        return cap if cap > 0 else None

    return Caps(agent=pick(row and row.agent_daily_cap_kes, settings.OUTBOUND_DAILY_CAP_AGENT_KES),
                company=pick(row and row.company_daily_cap_kes, settings.OUTBOUND_DAILY_CAP_COMPANY_KES))


def todays_calls(now=None):
    """Outbound calls started since midnight, Nairobi time."""
    midnight = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return Call.objects.filter(direction=Call.Direction.OUTBOUND, started_at__gte=midnight)


_PRICED = Sum("cost_kes")
_IN_PROGRESS = Count("pk", filter=Q(cost_kes__isnull=True, status__in=IN_PROGRESS))


def spent(calls):
    row = calls.aggregate(priced=_PRICED, in_progress=_IN_PROGRESS)
    return Spent(row["priced"] or Decimal("0"), row["in_progress"])


def check_caps(agent, now=None):
    """Raise OverCap if a call `agent` starts now would start past the agent's or the company's cap."""
    limits = caps()
    calls = todays_calls(now)
    if limits.agent is not None:
        mine = spent(calls.filter(agent=agent))
        if mine.total >= limits.agent:
            raise OverCap("agent", (
                f"You have reached your daily calling budget: {mine.text()} of KES "
                f"{limits.agent:,.2f} today. You can call again tomorrow, or {WHERE_TO_RAISE}."))
    if limits.company is not None:
        everyone = spent(calls)
        if everyone.total >= limits.company:
            raise OverCap("company", (
                f"The company's calling budget for today is used up: {everyone.text()} of KES "
                f"{limits.company:,.2f}. Calls can be placed again tomorrow, or {WHERE_TO_RAISE}."))


def today(now=None):
    """Today's spend, the company's and each agent's who placed a call, against the caps."""
    limits = caps()
    calls = todays_calls(now)
    rows = (calls.exclude(agent=None).values("agent", "agent__name")
            .annotate(priced=_PRICED, in_progress=_IN_PROGRESS))
    agents = [AgentSpend(row["agent__name"], Spent(row["priced"] or Decimal("0"), row["in_progress"]),
                         limits.agent) for row in rows]
    agents.sort(key=lambda a: (-a.spent.total, a.name))
    return SpendToday(caps=limits, company=spent(calls), agents=agents)
