"""The supervisors' dashboard: its figures, their charts as plain SVG geometry, and the page.

    figures = last_days()              # 30 days up to today, Africa/Nairobi dates
    figures.missed_rate, figures.spend_kes, figures.calls_chart.bars …

The charts are computed here and drawn by a template as inline SVG: no chart
library and no CDN, so the page works on an office network without internet.
"""

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.template.response import TemplateResponse
from django.utils import timezone

from agents import spend
from agents.models import Team

from ..models import Call, Ticket
from .common import duration_text

DAYS = 30
SERIES = [("inbound", "Inbound, answered"), ("missed", "Missed"), ("outbound", "Outbound")]


@dataclass
class Day:
    date: object
    inbound: int = 0
    missed: int = 0
    outbound: int = 0
    spend_kes: Decimal = Decimal("0")

    @property
    def total(self):
        return self.inbound + self.missed + self.outbound


@dataclass
class Chart:
    """Bars and axis in SVG user units; the template only draws them."""

    width: int
    height: int
    bars: list = field(default_factory=list)
    grid: list = field(default_factory=list)
    labels: list = field(default_factory=list)


@dataclass
class Figures:
    days: list
    start: object
    end: object
    inbound: int
    missed: int
    outbound: int
    spend_kes: Decimal
    callback_seconds: list
    closed_by_supervisor: int
    waiting_now: int
    calls_chart: Chart = None
    spend_chart: Chart = None

    @property
    def missed_rate(self):
        """Missed calls as a share of all inbound calls; None with no inbound call."""
        offered = self.inbound + self.missed
        return self.missed / offered if offered else None

    @property
    def callback_median(self):
        return statistics.median(self.callback_seconds) if self.callback_seconds else None

    @property
    def callback_p90(self):
        return percentile(self.callback_seconds, 90)


def percentile(values, pct):
    """Nearest-rank percentile: a value that occurred, e.g. 'nine in ten were called back within'."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def last_days(days=DAYS, now=None, team=None):
    """The figures of the last `days` days; with `team`, only that team's calls and callbacks.

    A team's calls are those its voice-menu branch took, and the outbound calls logged on
    its tickets (the callbacks), so its spend includes calling its customers back.
    """
    tz = timezone.get_current_timezone()
    calls, tickets = Call.objects.all(), Ticket.objects.all()
    if team is not None:
        calls = calls.filter(Q(team=team) | Q(ticket__team=team))
        tickets = tickets.filter(team=team)
    today = timezone.localtime(now or timezone.now(), tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=tz)
    by_date = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(days)}

    rows = (calls.filter(started_at__gte=start)
            .annotate(day=TruncDate("started_at", tzinfo=tz),
                      answered=ExpressionWrapper(Q(answered_at__isnull=False), output_field=BooleanField()))
            .values("day", "direction", "status", "answered")
            .annotate(n=Count("pk"), spend=Sum("cost_kes")))
    for row in rows:
        day = by_date.get(row["day"])
        if day is None:
            continue  # started "tomorrow" by a skewed clock
        if row["direction"] == Call.Direction.OUTBOUND:
            day.outbound += row["n"]
        elif row["status"] == Call.Status.FAILED or (row["status"] == Call.Status.COMPLETED
                                                     and not row["answered"]):
            day.missed += row["n"]  # nobody answered: it failed, or ended in voicemail or the message
        elif row["answered"]:
            day.inbound += row["n"]
        # else: still ringing, neither answered nor missed yet
        day.spend_kes += row["spend"] or 0

    closed = (tickets.filter(kind=Ticket.Kind.CALLBACK, callback_open=False,
                                    callback_done_at__gte=start)
              .annotate(missed_at=Coalesce(Min("calls__started_at",
                                               filter=Q(calls__direction=Call.Direction.INBOUND)),
                                           "created_at")))
    # Only callbacks closed by a completed call (no reason given) measure how fast the
    # desk calls back; a supervisor's bulk close ("reached by SMS") would skew it.
    seconds = [max(0, (t.callback_done_at - t.missed_at).total_seconds())
               for t in closed if not t.callback_done_reason]
    ordered = [by_date[d] for d in sorted(by_date)]
    figures = Figures(
        days=ordered, start=first, end=today,
        inbound=sum(d.inbound for d in ordered), missed=sum(d.missed for d in ordered),
        outbound=sum(d.outbound for d in ordered),
        spend_kes=sum((d.spend_kes for d in ordered), Decimal("0")),
        callback_seconds=seconds, closed_by_supervisor=sum(1 for t in closed if t.callback_done_reason),
        waiting_now=tickets.filter(callback_open=True).count(),
    )
    figures.calls_chart = stacked_bars(ordered, [key for key, _ in SERIES], lambda d: f"{d.total} calls")
    figures.spend_chart = stacked_bars(ordered, ["spend_kes"], lambda d: f"KES {d.spend_kes:,.2f}")
    return figures


def nice_ceiling(value):
    """The axis top: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 220, 48, 24, 8


def stacked_bars(days, keys, describe):
    """One column per day, one stacked bar per key, with a grid at 0, half and the top."""
    chart = Chart(WIDTH, HEIGHT)
    plot_w, plot_h = WIDTH - LEFT - 24, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((sum(float(getattr(d, k)) for k in keys) for d in days), default=0))
    slot = plot_w / max(1, len(days))
    for fraction in (0, 0.5, 1):
        y = round(TOP + plot_h * (1 - fraction), 1)
        value = top * fraction
        chart.grid.append({"y": y, "label": f"{value:g}" if value < 1000 else f"{value:,.0f}"})
    for i, day in enumerate(days):
        x = round(LEFT + i * slot + slot * 0.15, 1)
        base = TOP + plot_h
        for key in keys:
            value = float(getattr(day, key))
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            chart.bars.append({"x": x, "y": round(base, 1), "width": round(slot * 0.7, 1),
                               "height": round(height, 1), "series": key,
                               "title": f"{day.date:%a %d %b}: {_value_text(key, value)} ({describe(day)})"})
        if i % 5 == 0 or i == len(days) - 1:
            chart.labels.append({"x": round(LEFT + i * slot + slot / 2, 1), "text": f"{day.date:%d %b}"})
    return chart


def _value_text(key, value):
    if key == "spend_kes":
        return f"KES {value:,.2f}"
    return f"{int(value)} {dict(SERIES)[key].lower()}"


def dashboard(request):
    """Last 30 days at a glance; wrapped in admin_view (staff login) by sautidesk/urls.py."""
    if not request.user.has_perm("integration.view_call"):
        raise PermissionDenied
    teams = list(Team.objects.all())
    team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
    figures = last_days(team=team)
    rate = figures.missed_rate
    return TemplateResponse(request, "admin/dashboard.html", {
        **admin.site.each_context(request),
        "title": f"Dashboard: last 30 days, {team.name}" if team else "Dashboard: last 30 days",
        "teams": teams,
        "team": team,
        "figures": figures,
        "series": SERIES,
        "missed_rate": "—" if rate is None else f"{rate * 100:.1f}%",
        "callback_median": duration_text(figures.callback_median),
        "callback_p90": duration_text(figures.callback_p90),
        "spend": f"KES {figures.spend_kes:,.2f}",
        "spend_today": spend.today(),
        "in_progress_minutes": spend.IN_PROGRESS_MINUTES,
    })
