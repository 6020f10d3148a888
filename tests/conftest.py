"""Shared fixtures: signed webhooks, agents, the Freshdesk and Sautikit stand-ins, a worker."""

import json
import threading
import time

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from integration.clients import budget
from integration.models import WebhookEvent
from integration.processing.tasks import process_event
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cached look-ups live in the cache (the live server's too): start each test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_freshdesk_budget(settings):
    """What the Freshdesk budget learned (a limit, a 429's pause) lives on in the process: forget it.

    `run_worker` runs a retry at once, ignoring its countdown, so a test not about the budget
    gets a limit no test reaches (a stand-in's fault answer carries no X-RateLimit-Total to
    learn from). The budget's own tests set FRESHDESK_RATE_LIMIT_PER_MINUTE back to 0.
    """
    settings.FRESHDESK_RATE_LIMIT_PER_MINUTE = 1_000_000
    budget.forget()
    yield
    budget.forget()


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


def _received():
    return WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk")


def _run_task(event_id):
    try:
        process_event(event_id)
    except Retry:
        pass


@pytest.fixture
def run_worker():
    """Process stored events as a Celery worker would, ignoring retry countdowns.

    Each round calls the real task once for every `received` event; a task that
    asks to be retried (celery's Retry) is simply run again next round, so the
    state machine, waits for a ticket and backoff bookkeeping run as in production.

    `real_time=N` honours the countdowns instead: for up to N seconds it runs each event
    when it is due, as a worker would, for tests where waiting is the behaviour.
    `must_finish=False` leaves events still pending after `max_rounds` without complaint.
    """

    def run(max_rounds=20, real_time=None, must_finish=True):
        if real_time is not None:
            return _run_in_real_time(real_time)
        for _ in range(max_rounds):
            pending = list(_received().values_list("pk", flat=True))
            if not pending:
                return
            for event_id in pending:
                _run_task(event_id)
        if max_rounds > 1 and must_finish:
            raise AssertionError("events still pending after %d rounds" % max_rounds)

    return run


@pytest.fixture
def process_at_once():
    """Run the task for each event id in its own thread and connection, all released together,
    as several workers would; returns the exceptions other than a retry (none expected)."""

    def run(event_ids):
        start, errors = threading.Barrier(len(event_ids)), []

        def work(event_id):
            start.wait()
            try:
                _run_task(event_id)
            except Exception as err:  # returned to the test
                errors.append(err)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(event_id,)) for event_id in event_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors

    return run


@pytest.fixture
def background_worker():
    """A worker beside a live server: each stored event runs as soon as it is due, in its own
    thread and connection, until the test ends (the page then shows what production shows)."""
    stop = threading.Event()

    def work():
        try:
            while not stop.is_set():
                _run_due()
                stop.wait(0.1)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def _run_due():
    due = _received().filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
    for event_id in due.values_list("pk", flat=True):
        _run_task(event_id)


def _run_in_real_time(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _received().exists():
            return
        _run_due()
        time.sleep(0.1)
    raise AssertionError(f"events still pending after {seconds} s")


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
