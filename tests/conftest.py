"""Shared fixtures: signed webhooks, agents, the Freshdesk and Sautikit stand-ins, a worker."""

import json

import pytest
from celery.exceptions import Retry
from django.core.cache import cache

from integration.models import WebhookEvent
from integration.processing.tasks import process_event
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cached look-ups live in the cache (the live server's too): start each test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_agent(db):
    """tests.factories.make_agent, with the database open."""
    return factories.make_agent


@pytest.fixture
def post_webhook(client):
    """POST a body (dict → JSON, or raw bytes) to the webhook URL as Sautikit would."""

    def post(body, **headers):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.generic("POST", "/webhooks/sautikit/", data, content_type="application/json",
                              **headers)

    return post


@pytest.fixture
def run_worker():
    """Process stored events as a Celery worker would, ignoring retry countdowns.

    Each round calls the real task once for every `received` event; a task that
    asks to be retried (celery's Retry) is simply run again next round, so the
    state machine, waits for a ticket and backoff bookkeeping run as in production.
    """

    def run(max_rounds=20):
        for _ in range(max_rounds):
            pending = list(WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED)
                           .order_by("pk").values_list("pk", flat=True))
            if not pending:
                return
            for event_id in pending:
                try:
                    process_event(event_id)
                except Retry:
                    pass
        if max_rounds > 1:
            raise AssertionError("events still pending after %d rounds" % max_rounds)

    return run


@pytest.fixture(scope="session")
def freshdesk_server():
    from integration.sandbox.freshdesk import FreshdeskSandbox

    with FreshdeskSandbox(api_key="fd_test_key") as server:
        yield server


@pytest.fixture
def freshdesk(freshdesk_server, settings):
    """The Freshdesk stand-in, emptied, with SautiDesk pointed at it."""
    freshdesk_server.reset()
    settings.FRESHDESK_BASE_URL = freshdesk_server.base_url
    settings.FRESHDESK_API_KEY = freshdesk_server.api_key
    yield freshdesk_server
    freshdesk_server.reset()


@pytest.fixture(scope="session")
def sautikit_server():
    from integration.sandbox.sautikit import SautikitSandbox

    with SautikitSandbox(api_key="sk_test_never_in_pages") as server:
        yield server


@pytest.fixture
def sautikit(sautikit_server, settings):
    sautikit_server.reset()
    settings.SAUTIKIT_API_URL = sautikit_server.base_url
    settings.SAUTIKIT_API_KEY = sautikit_server.api_key
    yield sautikit_server
    sautikit_server.reset()
