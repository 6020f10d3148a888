"""Daily spend caps: the call that would start past a cap is refused, and nothing reaches Sautikit."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from agents.models import CallingLimits
from agents.permissions import ensure_supervisors_group
from agents.spend import OverCap, check_caps, today
from integration.models import Call

NAIROBI = ZoneInfo("Africa/Nairobi")
_ids = itertools.count(1)


def outbound(agent, cost=None, status="completed", at=None):
    """An outbound call of `agent` as our records hold it once Sautikit reported it."""
    call = Call.objects.create(call_id=f"CAspend{next(_ids)}", direction="outbound", status=status,
                               from_number="+254203893800", to_number="+254712345678",
                               agent=agent, cost_kes=None if cost is None else Decimal(cost))
    if at is not None:
        Call.objects.filter(pk=call.pk).update(started_at=at)
    return call


@pytest.fixture
def caps(settings):
    settings.OUTBOUND_DAILY_CAP_AGENT_KES = 100
    settings.OUTBOUND_DAILY_CAP_COMPANY_KES = 250
    return settings


def test_an_agent_at_their_cap_is_refused_with_a_clear_message(place, agent, sautikit, caps):
    outbound(agent, "60.00")
    outbound(agent, "40.00")

    response = place({"to": "0712345678"})

    assert response.status_code == 403
    assert response.json()["error"] == (
        "You have reached your daily calling budget: KES 100.00 of KES 100.00 today. You can call "
        "again tomorrow, or a supervisor can raise the cap (Admin → Calling limits).")
    assert sautikit.requests == []


def test_a_call_in_progress_counts_until_its_cost_is_known(place, agent, sautikit, caps):
    outbound(agent, "65.00")
    outbound(agent, status="failed")  # never connected: costs nothing

    assert place({"to": "0712345678"}).status_code == 201  # KES 65 spent: this call may start
    response = place({"to": "0733000222"})  # 65 + the first call, in progress, at KES 30 = 95
    assert response.status_code == 201
    response = place({"to": "0722000333"})  # 65 + 2 × 30 = 125: past the cap

    assert response.status_code == 403
    assert "KES 125.00 (counting 2 calls in progress at KES 30.00 each) of KES 100.00 today" in response.json()["error"]
    assert len(sautikit.calls) == 2


def test_the_company_cap_counts_every_agent(place, agent, make_agent, sautikit, caps):
    for name in ("Otieno", "Akinyi", "Kamau"):
        outbound(make_agent(name=name), "90.00")  # each under their own cap, 270 together

    response = place({"to": "0712345678"})

    assert response.status_code == 403
    assert response.json()["error"].startswith(
        "The company's calling budget for today is used up: KES 270.00 of KES 250.00.")
    assert sautikit.requests == []


def test_the_day_is_nairobis(agent, caps):
    now = datetime(2026, 12, 3, 0, 30, tzinfo=NAIROBI)
    outbound(agent, "500.00", at=datetime(2026, 12, 2, 23, 59, tzinfo=NAIROBI))  # yesterday
    check_caps(agent, now)

    outbound(agent, "100.00", at=datetime(2026, 12, 3, 0, 1, tzinfo=NAIROBI))  # 21:01 UTC, but today
    with pytest.raises(OverCap):
        check_caps(agent, now)


def test_supervisors_caps_win_over_the_settings_and_zero_means_no_cap(place, agent, sautikit, caps):
    outbound(agent, "150.00")
    CallingLimits.objects.create(agent_daily_cap_kes=Decimal("200"))

    assert place({"to": "0712345678"}).status_code == 201  # 150 < 200

    CallingLimits.objects.update(agent_daily_cap_kes=Decimal("0"), company_daily_cap_kes=Decimal("0"))
    outbound(agent, "5000.00")
    assert place({"to": "0733000222"}).status_code == 201


def test_supervisors_change_the_caps_in_the_admin(django_user_model, caps):
    supervisor = django_user_model.objects.create_user("amina", password="x", is_staff=True)
    supervisor.groups.add(ensure_supervisors_group())
    admin = Client()
    admin.force_login(supervisor)

    page = admin.get("/admin/agents/callinglimits/", follow=True)
    assert page.status_code == 200
    assert "The company has spent KES 0.00 of KES 250.00 today" in page.content.decode()
    response = admin.post("/admin/agents/callinglimits/add/",
                          {"agent_daily_cap_kes": "500", "company_daily_cap_kes": ""})

    assert response.status_code == 302
    assert today().caps.agent == Decimal("500") and today().caps.company == Decimal("250")
    refused = admin.post("/admin/agents/callinglimits/add/", {"agent_daily_cap_kes": "-1"})
    assert refused.status_code == 403  # one row only; it is changed, not added again


def test_the_dashboard_shows_todays_spend_against_the_caps(django_user_model, agent, make_agent, caps):
    supervisor = django_user_model.objects.create_user("amina", password="x", is_staff=True)
    supervisor.groups.add(ensure_supervisors_group())
    admin = Client()
    admin.force_login(supervisor)
    outbound(agent, "42.50")
    outbound(agent, status="answered")
    outbound(make_agent(name="Otieno Baraka"), "12.00")
    outbound(agent, "999.00", at=datetime.now(NAIROBI) - timedelta(days=1))

    page = admin.get("/admin/dashboard/").content.decode()

    assert "KES 84.50 (counting 1 call in progress at KES 30.00 each)" in page
    assert "of KES 250.00" in page
    assert "Wanjiku Kamau" in page and "KES 72.50" in page and "Otieno Baraka" in page
    assert page.count("of KES 100.00") == 2
