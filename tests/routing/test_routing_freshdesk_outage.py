"""Routing while Freshdesk's Agents API is slow or down: answered at once, from the last sync."""

import threading
import time

import pytest
from django.db import connection

from agents.models import AgentPhone
from agents.tasks import refresh_availability

from .conftest import dialled

pytestmark = pytest.mark.django_db(transaction=True)

# Far above what routing takes here (a few ms) and far below the 2 s Freshdesk delay.
BUDGET_SECONDS = 0.5


def test_slow_freshdesk_does_not_hold_up_routing(freshdesk, rules, route, settings):
    settings.FRESHDESK_TIMEOUT = (3.05, 5)
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001", available=True)
    refresh_availability()
    freshdesk.set_agent_available(1, False)
    freshdesk.delay("/api/v2/agents", 2.0)

    def refresh():
        try:
            refresh_availability()
        finally:
            connection.close()

    refreshing = threading.Thread(target=refresh)
    refreshing.start()
    time.sleep(0.2)  # the refresh is now waiting on Freshdesk
    started = time.monotonic()
    during = route()
    elapsed = time.monotonic() - started
    refreshing.join()

    assert elapsed < BUDGET_SECONDS
    assert dialled(during) == "+254711000001"  # the last known availability
    assert AgentPhone.objects.get().available is False  # the slow refresh did land afterwards
    assert dialled(route()) is None
    assert [r["path"] for r in freshdesk.requests].count("/api/v2/agents") == 2  # both syncs, no routing


def test_freshdesk_down_routes_on_the_last_known_availability(freshdesk, rules, route):
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001", available=True)
    refresh_availability()
    freshdesk.fail_next(503, count=3, path_prefix="/api/v2/agents")

    for _ in range(3):
        refresh_availability()
    started = time.monotonic()
    response = route()

    assert time.monotonic() - started < BUDGET_SECONDS
    assert dialled(response) == "+254711000001"


def test_freshdesk_timing_out_keeps_the_last_known_availability(freshdesk, rules, route, settings):
    settings.FRESHDESK_TIMEOUT = (1, 0.3)
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001", available=True)
    refresh_availability()
    freshdesk.set_agent_available(1, False)
    freshdesk.delay("/api/v2/agents", 2.0)

    refresh_availability()

    assert AgentPhone.objects.get().available is True
    assert dialled(route()) == "+254711000001"


def test_the_menu_and_its_teams_route_without_asking_freshdesk(freshdesk, menu, post_webhook):
    from tests.factories import signed

    from .conftest import OUR_NUMBER

    freshdesk.add_agent(id=1, name="Otieno", mobile="+254711000002", available=True)
    freshdesk.add_group("Support", id=72, agent_ids=[1])  # the menu's Support team
    refresh_availability()
    freshdesk.requests.clear()
    freshdesk.fail_next(503, count=10, path_prefix="/api/v2/")

    signed_at = int(time.time()) - 10
    post_webhook(signed("call.routing", "CAOUTAGE", to=OUR_NUMBER, signed_at=signed_at))
    answer = post_webhook(signed("call.routing", "CAOUTAGE", to=OUR_NUMBER, digits="2", signed_at=signed_at + 1))

    assert dialled(answer) == "+254711000002"
    assert freshdesk.requests == []
