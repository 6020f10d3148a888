"""The dashboard's figures for a dataset whose answers we know."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integration.admin.dashboard import last_days, percentile
from integration.models import Call, Ticket

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


def call(n, direction, status, days_ago=0, cost=None, answered=None):
    """A call as its webhooks leave it: answered and completed ones have been answered, unless told."""
    at = timezone.now() - timedelta(days=days_ago)
    if answered is None:
        answered = status in ("answered", "completed")
    made = Call.objects.create(call_id=f"CA9{n:03d}", direction=direction, status=status,
                               from_number="+254712345678", to_number="+254203893800", cost_kes=cost,
                               answered_at=at + timedelta(seconds=5) if answered else None)
    Call.objects.filter(pk=made.pk).update(started_at=at)


def callback(n, waited_minutes, reason="", days_ago=1):
    missed = timezone.now() - timedelta(days=days_ago)
    ticket = Ticket.objects.create(freshdesk_id=900 + n, kind="callback", requester_number=f"+25471100{n:04d}")
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=missed, callback_done_at=missed + timedelta(minutes=waited_minutes),
        callback_done_reason=reason, callback_done_by="Baraka")


@pytest.fixture
def month_of_calls():
    """Within 30 days: 4 answered inbound, 2 missed, 2 outbound costing KES 4.50; older ones too."""
    for n in range(3):
        call(n, "inbound", "completed")
    call(3, "inbound", "answered", days_ago=10)
    call(4, "inbound", "failed")
    call(5, "inbound", "failed", days_ago=10)
    call(6, "outbound", "completed", cost=Decimal("3.00"))
    call(7, "outbound", "completed", days_ago=29, cost=Decimal("1.50"))
    for n in range(8, 13):  # a bad week two months ago does not count
        call(n, "inbound", "failed", days_ago=60)
    call(13, "outbound", "completed", days_ago=60, cost=Decimal("100.00"))
    callback(1, 10)
    callback(2, 20)
    callback(3, 60)
    callback(4, 5000, reason="reached by SMS")  # a supervisor's close: not a callback time
    callback(5, 1, days_ago=45)
    Ticket.objects.create(freshdesk_id=990, kind="callback", requester_number="+254799000000",
                          callback_open=True)


def test_dashboard_shows_the_month_in_figures(supervisor_client, month_of_calls):
    page = supervisor_client.get(DASHBOARD).content.decode()

    assert "33.3%" in page and "missed-call rate (2 of 6 inbound calls)" in page
    assert "KES 4.50" in page
    assert "20 min" in page  # median of 10, 20 and 60 minutes
    assert "1 h 00 min" in page  # 9 in 10 within (nearest rank)
    assert "1 closed by a supervisor with a reason are not counted" in page
    assert '<svg class="chart"' in page and "<script" not in page.split('id="content"')[1]


def test_dashboard_figures_per_day(month_of_calls):
    figures = last_days()

    assert len(figures.days) == 30
    today = figures.days[-1]
    assert (today.inbound, today.missed, today.outbound, today.spend_kes) == (3, 1, 1, Decimal("3.00"))
    assert (figures.inbound, figures.missed, figures.outbound) == (4, 2, 2)
    assert figures.waiting_now == 1
    assert sorted(figures.callback_seconds) == [600, 1200, 3600]
    assert len(figures.calls_chart.bars) == 6  # today: 3 series; 10 days ago: 2; 29 days ago: 1
    assert {bar["series"] for bar in figures.calls_chart.bars} == {"inbound", "missed", "outbound"}


def test_a_ringing_call_is_not_counted_yet_and_one_that_went_to_voicemail_is_missed(month_of_calls):
    call(20, "inbound", "ringing")  # routed, the agent's phone still ringing
    call(21, "inbound", "completed", answered=False)  # left a voicemail: nobody answered

    figures = last_days()

    assert (figures.inbound, figures.missed) == (4, 3)
    assert (figures.days[-1].inbound, figures.days[-1].missed) == (3, 2)


def test_dashboard_without_any_call_says_so_rather_than_dividing_by_zero(supervisor_client):
    page = supervisor_client.get(DASHBOARD).content.decode()
    assert "missed-call rate (0 of 0 inbound calls)" in page
    assert "KES 0.00" in page


def test_percentile_is_a_value_that_occurred():
    assert percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([42], 90) == 42
    assert percentile([], 90) is None
