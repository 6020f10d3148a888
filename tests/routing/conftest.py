"""Fixtures for routing: agents as rows, routing rules, teams, a voice menu, and a call.routing poster."""

import itertools

import pytest

from agents.models import Team
from integration.models import Menu, MenuOption, RoutingSettings
from tests.factories import signed

OUR_NUMBER = "+254203893800"
_calls = itertools.count(1)


@pytest.fixture
def rules(db):
    """Routing rules open around the clock unless a test says otherwise."""
    return RoutingSettings.objects.create(business_hours="24/7")


@pytest.fixture
def route(post_webhook):
    """POST a signed call.routing for a new call (or `call_id`) and return the response."""

    def post(call_id=None, **fields):
        fields.setdefault("to", OUR_NUMBER)
        return post_webhook(signed("call.routing", call_id or f"CAR{next(_calls)}", **fields))

    return post


@pytest.fixture
def teams(db):
    """Sales (group 71) and Support (group 72), open whenever the desk is, with their own greetings."""
    sales = Team.objects.create(freshdesk_group_id=71, name="Sales",
                                greeting_en="Connecting you to our sales team.",
                                greeting_sw="Tunakuunganisha na timu yetu ya mauzo.")
    support = Team.objects.create(freshdesk_group_id=72, name="Support",
                                  greeting_en="Connecting you to customer support.",
                                  greeting_sw="Tunakuunganisha na huduma kwa wateja.")
    return sales, support


@pytest.fixture
def menu(rules, teams):
    """The menu for our number: 1 sales, 2 support, 9 Kiswahili; Support takes whoever chooses nothing."""
    sales, support = teams
    menu = Menu.objects.create(number=OUR_NUMBER, language="en-KE", language_key="9", default_team=support,
                               greeting_en="Thank you for calling Duka Bora.",
                               greeting_sw="Karibu Duka Bora.")
    MenuOption.objects.create(menu=menu, key="1", label_en="sales", label_sw="mauzo", team=sales)
    MenuOption.objects.create(menu=menu, key="2", label_en="customer support", label_sw="usaidizi",
                              team=support)
    return menu


def dialled(response):
    """The number a routing answer dials, or None."""
    return next((a["dial"]["to"] for a in response.json()["actions"] if "dial" in a), None)


def kinds(response):
    return [next(iter(action)) for action in response.json()["actions"]]
