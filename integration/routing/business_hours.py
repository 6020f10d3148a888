"""When calls are routed to agents: business hours and holidays, as pure functions.

    hours = parse_hours("mon-fri 08:00-18:00; sat 09:00-13:00")
    holidays = parse_holidays("2026-12-25\\n2026-12-26")
    is_open(hours, holidays, at=timezone.now())

The spec is `24/7`, or `;`-separated parts of days and times: days are `mon`…`sun`,
ranges (`mon-fri`, `fri-mon` wraps) and comma lists (`mon,wed`); times are
`HH:MM-HH:MM`, several separated by commas (`08:00-12:00,14:00-18:00`). `24:00` ends a
day; an end before its start runs past midnight into the next day. Times are
Africa/Nairobi wall-clock time, whatever zone `at` is given in. No Django here, so the
admin, the system check and routing share one reading of the spec.
"""

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

NAIROBI = ZoneInfo("Africa/Nairobi")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS = "24/7"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_PART = re.compile(r"^(?P<days>[a-z][a-z ,-]*?)\s+(?P<times>\d.*)$")


class InvalidSchedule(ValueError):
    """A business-hours spec or holiday list that cannot be read; the message says where."""


@dataclass(frozen=True)
class Span:
    """Open on `day` (0 = Monday) from `start` minutes after midnight until `end` (may pass 1440)."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class Hours:
    spans: tuple[Span, ...]
    always: bool = False

    def open_at(self, local):
        """Whether a naive or aware *local* (Nairobi) datetime falls in a span."""
        if self.always:
            return True
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        for span in self.spans:
            if span.day == today and span.start <= minute < span.end:
                return True
            # Yesterday's span that runs past midnight.
            if span.day == (today - 1) % 7 and minute + 1440 < span.end:
                return True
        return False


def _minutes(text, part):
    match = _TIME.match(text)
    if not match:
        raise InvalidSchedule(f"{part!r}: {text!r} is not a time like 08:00")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise InvalidSchedule(f"{part!r}: {text!r} is not a time of day")
    return hour * 60 + minute


def _day(name):
    for names in (DAYS, FULL_DAYS):
        if name in names:
            return names.index(name)
    return None


def _days(text, part):
    days = []
    for item in text.split(","):
        first, dash, last = item.strip().partition("-")
        start, stop = _day(first), (_day(last) if dash else _day(first))
        if start is None or stop is None:
            raise InvalidSchedule(f"{part!r}: {item.strip()!r} is not a day or range of days (mon…sun)")
        days.extend((start + offset) % 7 for offset in range((stop - start) % 7 + 1))
    return days


def parse_hours(spec):
    """Read a business-hours spec into `Hours`, or raise InvalidSchedule naming the bad part."""
    text = (spec or "").strip().lower()
    if not text:
        raise InvalidSchedule("business hours are empty")
    if text in (ALWAYS, "24x7", "always"):
        return Hours((), always=True)
    spans = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _PART.match(part)
        if not match:
            raise InvalidSchedule(f"{part!r}: expected days then times, e.g. 'mon-fri 08:00-18:00'")
        days = _days(match["days"].replace(" ", ""), part)
        for window in match["times"].replace(" ", "").split(","):
            start_text, dash, end_text = window.partition("-")
            if not dash:
                raise InvalidSchedule(f"{part!r}: {window!r} is not a time range like 08:00-18:00")
            start, end = _minutes(start_text, part), _minutes(end_text, part)
            if start == end:
                raise InvalidSchedule(f"{part!r}: {window!r} opens and closes at the same time")
            if end < start:  # runs past midnight
                end += 1440
            spans.extend(Span(day, start, end) for day in days)
    return Hours(tuple(spans))


def parse_holidays(text, errors=None):
    """One YYYY-MM-DD a line (blank lines and `# comments` allowed) → a frozenset of dates.

    A bad line raises InvalidSchedule, unless an `errors` list is given: then the
    bad lines are appended to it and the good ones still count.
    """
    dates = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            dates.add(date.fromisoformat(entry))
        except ValueError:
            message = f"line {number}: {entry!r} is not a date like 2026-12-25"
            if errors is None:
                raise InvalidSchedule(message) from None
            errors.append(message)
    return frozenset(dates)


def is_open(hours, holidays, at):
    """Whether calls go to agents at `at` (an aware datetime): in hours and not a holiday."""
    if at.tzinfo is None:
        raise ValueError("is_open needs an aware datetime")
    local = at.astimezone(NAIROBI)
    return local.date() not in holidays and hours.open_at(local)

