"""Business hours and holidays, read the way supervisors write them (Africa/Nairobi time)."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from integration.routing.business_hours import InvalidSchedule, is_open, parse_holidays, parse_hours

NAIROBI = ZoneInfo("Africa/Nairobi")
NONE = frozenset()


def nairobi(*args):
    return datetime(*args, tzinfo=NAIROBI)


# 2026-11-23 is a Monday.
@pytest.mark.parametrize("at, expected", [
    (nairobi(2026, 11, 23, 7, 59), False),
    (nairobi(2026, 11, 23, 8, 0), True),
    (nairobi(2026, 11, 27, 17, 59), True),   # Friday
    (nairobi(2026, 11, 27, 18, 0), False),   # closing time is closed
    (nairobi(2026, 11, 28, 10, 0), False),   # Saturday
    (nairobi(2026, 11, 29, 10, 0), False),   # Sunday
])
def test_default_hours_are_weekdays_eight_to_six(at, expected):
    assert is_open(parse_hours("mon-fri 08:00-18:00"), NONE, at) is expected


def test_times_are_nairobi_whatever_zone_the_clock_gives():
    hours = parse_hours("mon-fri 08:00-18:00")

    # 05:30 UTC is 08:30 in Nairobi (UTC+3); 15:30 UTC is 18:30.
    assert is_open(hours, NONE, datetime(2026, 11, 23, 5, 30, tzinfo=timezone.utc))
    assert not is_open(hours, NONE, datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc))


def test_several_parts_and_a_saturday_morning():
    hours = parse_hours("mon-fri 08:00-18:00; sat 09:00-13:00")

    assert is_open(hours, NONE, nairobi(2026, 11, 28, 12, 59))
    assert not is_open(hours, NONE, nairobi(2026, 11, 28, 13, 0))
    assert not is_open(hours, NONE, nairobi(2026, 11, 29, 10, 0))


def test_lunch_break_day_lists_and_full_day_names():
    hours = parse_hours("Monday, wed 08:00-12:00, 14:00-17:00")

    assert is_open(hours, NONE, nairobi(2026, 11, 23, 11, 0))
    assert not is_open(hours, NONE, nairobi(2026, 11, 23, 13, 0))
    assert is_open(hours, NONE, nairobi(2026, 11, 25, 15, 0))
    assert not is_open(hours, NONE, nairobi(2026, 11, 24, 11, 0))  # Tuesday


def test_always_open():
    hours = parse_hours("24/7")

    assert is_open(hours, NONE, nairobi(2026, 11, 29, 3, 0))


def test_a_night_shift_runs_past_midnight_and_day_ranges_wrap():
    hours = parse_hours("fri-sat 22:00-06:00")

    assert is_open(hours, NONE, nairobi(2026, 11, 27, 23, 0))    # Friday night
    assert is_open(hours, NONE, nairobi(2026, 11, 29, 5, 59))    # Saturday's shift, Sunday morning
    assert not is_open(hours, NONE, nairobi(2026, 11, 29, 6, 0))
    assert not is_open(hours, NONE, nairobi(2026, 11, 27, 5, 0))  # Thursday had no shift
    assert is_open(parse_hours("sat-mon 10:00-11:00"), NONE, nairobi(2026, 11, 29, 10, 30))


def test_midnight_as_24_00_closes_the_day():
    hours = parse_hours("sun 18:00-24:00")

    assert is_open(hours, NONE, nairobi(2026, 11, 29, 23, 59))
    assert not is_open(hours, NONE, nairobi(2026, 11, 30, 0, 0))


def test_a_holiday_closes_an_open_day_all_day_in_nairobi():
    hours = parse_hours("24/7")
    holidays = parse_holidays("2026-12-25")

    assert not is_open(hours, holidays, nairobi(2026, 12, 25, 0, 0))
    assert not is_open(hours, holidays, nairobi(2026, 12, 25, 23, 59))
    # 22:00 UTC on the 24th is already Christmas Day in Nairobi.
    assert not is_open(hours, holidays, datetime(2026, 12, 24, 22, 0, tzinfo=timezone.utc))
    assert is_open(hours, holidays, nairobi(2026, 12, 26, 0, 0))


def test_holiday_list_allows_blank_lines_and_comments():
    text = "2026-12-25  # Christmas\n\n2026-12-26 # Boxing Day\n# 2027-01-01 not yet\n"

    assert parse_holidays(text) == {date(2026, 12, 25), date(2026, 12, 26)}


def test_bad_holiday_line_is_named_or_skipped_when_asked():
    with pytest.raises(InvalidSchedule, match=r"line 2: '25/12/2026'"):
        parse_holidays("2026-12-25\n25/12/2026")

    errors = []
    assert parse_holidays("2026-12-25\n25/12/2026", errors=errors) == {date(2026, 12, 25)}
    assert errors == ["line 2: '25/12/2026' is not a date like 2026-12-25"]


@pytest.mark.parametrize("spec, says", [
    ("", "empty"),
    ("mon-fri", "expected days then times"),
    ("08:00-18:00", "expected days then times"),
    ("mon-fry 08:00-18:00", "'mon-fry' is not a day"),
    ("mon-fri 8-18", "'8' is not a time"),
    ("mon-fri 08:00-25:00", "'25:00' is not a time of day"),
    ("mon-fri 08:60-18:00", "'08:60' is not a time of day"),
    ("mon-fri 08:00", "not a time range"),
    ("mon 09:00-09:00", "same time"),
])
def test_unreadable_hours_say_which_part_is_wrong(spec, says):
    with pytest.raises(InvalidSchedule, match=says):
        parse_hours(spec)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        is_open(parse_hours("24/7"), NONE, datetime(2026, 11, 23, 10, 0))
