"""The outbox: the webhook only stores; workers' dispatchers publish; the sweep catches the rest.

Published tasks are read back from the in-memory broker the tests run on, as a worker
would receive them.
"""

import time
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from integration.models import WebhookEvent
from integration.processing import outbox
from integration.processing.tasks import dispatch_pending, requeue_stuck_events
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


def queued_event_ids():
    """Take every queued process_event message off the broker: the event ids, in order."""
    ids = []
    with current_app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            if message.headers.get("task") == "integration.tasks.process_event":
                ids.append(message.payload[0][0])
            message.ack()  # other tests' tasks (heartbeats, syncs) are not ours to count
        queue.close()
    return ids


@pytest.fixture(autouse=True)
def empty_broker():
    queued_event_ids()  # the in-memory broker outlives a test
    yield


def stored_ids(*call_ids):
    return list(WebhookEvent.objects.filter(call_id__in=call_ids).order_by("pk").values_list("pk", flat=True))


def test_the_webhook_only_stores_and_a_dispatch_publishes_each_event_once(post_webhook):
    for body in (signed("call.failed", "CA-OB1"), signed("call.answered", "CA-OB2"),
                 signed("call.failed", "CA-OB1"), signed("call.routing", "CA-OB3")):
        assert post_webhook(body).status_code in (200, 202)
    assert queued_event_ids() == []

    assert dispatch_pending() == 2
    assert queued_event_ids() == stored_ids("CA-OB1", "CA-OB2")  # not the duplicate, not the routing
    assert dispatch_pending() == 0
    assert queued_event_ids() == []


def test_a_running_dispatcher_publishes_what_the_webhook_stores(post_webhook):
    dispatcher = outbox.OutboxDispatcher(dispatch_pending)
    dispatcher.start()
    try:
        post_webhook(signed("call.failed", "CA-OB4"))
        published = []
        deadline = time.monotonic() + 15
        while not published and time.monotonic() < deadline:
            published += queued_event_ids()
            time.sleep(0.05)
    finally:
        dispatcher.stop()
        dispatcher.join(timeout=10)

    assert published == stored_ids("CA-OB4")


def test_with_no_dispatcher_the_sweep_publishes_a_stored_event_a_minute_later(post_webhook):
    post_webhook(signed("call.failed", "CA-OB5"))
    assert requeue_stuck_events() == 0  # just stored: a dispatcher may still take it

    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=2))
    assert requeue_stuck_events() == 1
    assert queued_event_ids() == stored_ids("CA-OB5")
    assert dispatch_pending() == 0  # a dispatcher that starts now does not publish it again


def test_an_event_claimed_by_a_dispatcher_that_died_is_published_by_the_sweep(post_webhook):
    post_webhook(signed("call.failed", "CA-OB6"))
    assert outbox.claim() == stored_ids("CA-OB6")  # then the process died before publishing

    assert dispatch_pending() == 0
    assert requeue_stuck_events() == 0
    WebhookEvent.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert requeue_stuck_events() == 1
    assert queued_event_ids() == stored_ids("CA-OB6")


def test_events_given_back_after_a_refused_publish_are_published_next_time(post_webhook):
    post_webhook(signed("call.failed", "CA-OB7"))
    outbox.release(outbox.claim())  # what dispatch_pending does when the broker refuses them

    assert dispatch_pending() == 1
    assert queued_event_ids() == stored_ids("CA-OB7")
