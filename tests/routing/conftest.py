"""Fixtures for routing: agents as rows, routing rules, and a call.routing poster."""

import itertools

import pytest

from integration.models import RoutingSettings
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


def dialled(response):
    """The number a routing answer dials, or None."""
    return next((a["dial"]["to"] for a in response.json()["actions"] if "dial" in a), None)


def kinds(response):
    return [next(iter(action)) for action in response.json()["actions"]]
