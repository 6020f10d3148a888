"""A slow Freshdesk: creates that outlive our read timeout and land later still give one ticket per call.

The Freshdesk stand-in holds a create N seconds and stores it afterwards, as Freshdesk does
during an incident; SautiDesk's read timeout in tests is 2 s (tests/settings.py).
"""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from integration.models import Call, WebhookEvent
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "Missed call from +254712345678: callback required"


def ticket_posts(freshdesk):
    return [r for r in freshdesk.requests if r["method"] == "POST" and r["path"] == "/api/v2/tickets"]


def test_creates_held_past_the_read_timeout_give_one_ticket_per_call(post_webhook, run_worker, freshdesk,
                                                                     settings):
    settings.FRESHDESK_CREATE_SETTLE_SECONDS = 20
    freshdesk.slow_create(12, count=3)  # longer than the 2 s read timeout and the 7 s in-flight wait
    calls = {f"CA-SLOW-{n}": f"+2547120000{n:02d}" for n in range(3)}
    for call_id, number in calls.items():
        post_webhook(signed("call.failed", call_id, status="no-answer", **{"from": number}))

    run_worker(max_rounds=6, must_finish=False)
    # Each create timed out and has not landed yet: the events wait, nothing is created twice.
    assert len(ticket_posts(freshdesk)) == 3
    for event in WebhookEvent.objects.all():
        assert (event.status, event.attempts) == (WebhookEvent.Status.RECEIVED, 1), event.last_error

    run_worker(real_time=60)

    assert len(freshdesk.tickets) == 3
    assert len(ticket_posts(freshdesk)) == 3
    for call in Call.objects.select_related("ticket"):
        ticket = freshdesk.tickets[call.ticket.freshdesk_id]
        assert f"Sautikit call ID: {call.call_id}" in ticket["description_text"]
        assert freshdesk.contacts[ticket["requester_id"]]["phone"] == calls[call.call_id]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_create_that_never_lands_is_sent_again_once_it_no_longer_can(post_webhook, run_worker, freshdesk,
                                                                      settings):
    settings.FRESHDESK_CREATE_SETTLE_SECONDS = 9
    freshdesk.fail_next(504, path_prefix="/api/v2/tickets", method="POST")  # a gateway gave up; nothing made
    post_webhook(signed("call.failed", "CA-LOST"))

    run_worker(max_rounds=5, must_finish=False)
    assert len(ticket_posts(freshdesk)) == 1
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED

    run_worker(real_time=30)
    assert len(ticket_posts(freshdesk)) == 2
    assert len(freshdesk.tickets) == 1
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE


def test_an_older_ticket_with_the_same_subject_is_not_taken_for_the_calls(post_webhook, run_worker, freshdesk,
                                                                         settings):
    """Freshdesk timestamps may carry an offset: an old ticket must not look new, nor be adopted."""
    settings.FRESHDESK_CREATE_SETTLE_SECONDS = 9
    older = requests.post(f"{freshdesk.base_url}/api/v2/tickets", auth=(freshdesk.api_key, "X"), json={
        "subject": SUBJECT, "description": "<p>Sautikit call ID: CA-EARLIER</p>", "phone": "+254712345678",
        "name": "Caller", "status": 2, "priority": 2, "source": 3,
    }).json()
    an_hour_ago = datetime.now(timezone(timedelta(hours=10))) - timedelta(hours=1)
    freshdesk.tickets[older["id"]]["created_at"] = an_hour_ago.isoformat(timespec="seconds")
    freshdesk.fail_next(502, path_prefix="/api/v2/tickets", method="POST")

    post_webhook(signed("call.failed", "CA-LATER"))
    run_worker(real_time=30)

    ours = Call.objects.get(call_id="CA-LATER").ticket
    assert ours.freshdesk_id != older["id"]
    assert "Sautikit call ID: CA-LATER" in freshdesk.tickets[ours.freshdesk_id]["description_text"]
    assert len(freshdesk.tickets) == 2
