"""Webhook → worker → Freshdesk stand-in: what a support team sees in Freshdesk (contract §3)."""

import json
import re
import threading

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.test import Client

from integration.clients import budget
from integration.models import Call, Ticket, WebhookEvent
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


def ticket_posts(freshdesk):
    return [r for r in freshdesk.requests if r["method"] == "POST" and r["path"] == "/api/v2/tickets"]


def only_ticket(freshdesk):
    assert len(freshdesk.tickets) == 1, freshdesk.tickets
    return next(iter(freshdesk.tickets.values()))


def notes_of(freshdesk, ticket):
    return freshdesk.notes.get(ticket["id"], [])


def test_missed_call_opens_a_callback_ticket(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA200", status="no-answer", **{"from": "0712345678"}))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert ticket["subject"] == "Missed call from +254712345678: callback required"
    assert ticket["tags"] == ["sautikit", "missed_call", "callback_needed"]
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (2, 2, 3)
    assert "no-answer" in ticket["description"]
    contact = freshdesk.contacts[ticket["requester_id"]]
    assert contact["phone"] == "+254712345678"
    assert contact["name"]
    stored = Ticket.objects.get()
    assert (stored.freshdesk_id, stored.kind, stored.callback_open) == (ticket["id"], "callback", True)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE


def test_answered_inbound_call_opens_an_inbound_ticket(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.answered", "CA201", **{"from": "254722000111"}))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert ticket["subject"] == "Inbound call from +254722000111"
    assert ticket["tags"] == ["sautikit", "inbound_call"]
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (2, 2, 3)
    assert Call.objects.get().ticket.freshdesk_id == ticket["id"]


def test_completed_call_adds_a_private_duration_note(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.answered", "CA202"))
    post_webhook(signed("call.completed", "CA202", duration_seconds=95))
    run_worker()

    notes = notes_of(freshdesk, only_ticket(freshdesk))
    assert len(notes) == 1
    assert notes[0]["private"] is True
    assert notes[0]["body_text"].strip() == (
        "Call ended. Duration: 95s. Cost: KES 0.00 (inbound calls are free; a recording is charged separately).")


def test_recording_ready_adds_a_private_note_with_the_link(post_webhook, run_worker, freshdesk):
    url = "https://recordings.sautikit.example/CA203.mp3?X-Signature=abc"
    post_webhook(signed("call.answered", "CA203"))
    post_webhook(signed("recording.ready", "CA203", recording_url=url, recording_duration_seconds=120))
    run_worker()

    notes = notes_of(freshdesk, only_ticket(freshdesk))
    assert len(notes) == 1
    assert notes[0]["private"] is True
    assert f'href="{url.replace("&", "&amp;")}"' in notes[0]["body"]
    assert re.search(r"valid for 7 days, until \d{4}-\d\d-\d\d \d\d:\d\d EAT\.", notes[0]["body_text"])
    assert "(120s, recording charge KES 1.00)" in notes[0]["body_text"]
    assert Call.objects.get().recording_url == url


def test_recording_url_never_reaches_the_logs(post_webhook, run_worker, freshdesk, caplog):
    url = "https://recordings.sautikit.example/CA204.mp3?X-Signature=very-secret-token"
    post_webhook(signed("call.answered", "CA204"))
    post_webhook(signed("recording.ready", "CA204", recording_url=url))
    run_worker()

    assert "very-secret-token" not in caplog.text
    assert len(notes_of(freshdesk, only_ticket(freshdesk))) == 1


def test_same_event_delivered_three_times_creates_one_ticket(post_webhook, run_worker, freshdesk):
    body = signed("call.failed", "CA205")
    for _ in range(3):
        post_webhook(body)
        run_worker()

    only_ticket(freshdesk)
    assert len(ticket_posts(freshdesk)) == 1


def test_concurrent_deliveries_and_workers_create_one_ticket(client, freshdesk):
    from integration.processing.tasks import process_event

    body = signed("call.failed", "CA206")
    errors = []

    def deliver_and_work():
        try:
            Client().post("/webhooks/sautikit/", json.dumps(body), content_type="application/json")
            for event_id in WebhookEvent.objects.values_list("pk", flat=True):
                try:
                    process_event(event_id)
                except Retry:
                    pass
        except Exception as err:  # surfaced by the assertion below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_and_work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert WebhookEvent.objects.count() == 1
    only_ticket(freshdesk)
    assert len(ticket_posts(freshdesk)) == 1


def test_answered_and_failed_raced_by_workers_make_one_ticket_per_call(post_webhook, freshdesk,
                                                                       process_at_once):
    """Two events of one call processed at the same moment share one ticket lease."""
    post_webhook(signed("call.answered", "CA207"))
    post_webhook(signed("call.completed", "CA207", duration_seconds=5))

    assert process_at_once(list(WebhookEvent.objects.values_list("pk", flat=True))) == []

    assert len(ticket_posts(freshdesk)) == 1


def test_completed_before_answered_still_lands_its_note(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.completed", "CA208", duration_seconds=30))
    run_worker(max_rounds=1)
    waiting = WebhookEvent.objects.get(event="call.completed")
    assert waiting.status == WebhookEvent.Status.RECEIVED
    assert "no ticket yet" in waiting.last_error
    assert freshdesk.tickets == {}

    post_webhook(signed("call.answered", "CA208"))
    run_worker()

    notes = notes_of(freshdesk, only_ticket(freshdesk))
    assert [n["body_text"].strip() for n in notes] == [
        "Call ended. Duration: 30s. Cost: KES 0.00 (inbound calls are free; a recording is charged separately)."]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}


def test_answered_after_a_missed_call_does_not_open_a_second_ticket(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA209", status="busy"))
    post_webhook(signed("call.answered", "CA209"))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert "missed_call" in ticket["tags"]
    assert Call.objects.get().status == Call.Status.FAILED


def test_freshdesk_500_then_503_then_ok_gives_one_ticket(post_webhook, run_worker, freshdesk):
    """Freshdesk's own 500/503 is a finished request: looked for at once, then sent again."""
    freshdesk.fail_next(500, path_prefix="/api/v2/tickets", method="POST")
    freshdesk.fail_next(503, path_prefix="/api/v2/tickets", method="POST")
    post_webhook(signed("call.failed", "CA210"))
    run_worker()

    only_ticket(freshdesk)
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.DONE
    assert event.attempts == 3


def test_429_waits_at_least_retry_after_then_one_ticket(post_webhook, run_worker, freshdesk, caplog):
    freshdesk.fail_next(429, headers={"Retry-After": "37"})
    post_webhook(signed("call.failed", "CA211"))
    run_worker(max_rounds=1)

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.RECEIVED
    waited = (event.next_attempt_at - event.updated_at).total_seconds()
    assert 36 <= waited <= 600
    run_worker(max_rounds=1)  # run early anyway: the 429's pause holds every worker back
    assert len(freshdesk.requests) == 1
    budget.forget()  # 37 s later
    run_worker()

    only_ticket(freshdesk)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE


def test_validation_error_marks_the_event_failed_with_freshdesks_message(post_webhook, run_worker,
                                                                        freshdesk):
    freshdesk.fail_next(400, body={"description": "Validation failed", "errors": [
        {"field": "phone", "message": "Please enter a valid phone number", "code": "invalid_value"}]})
    post_webhook(signed("call.failed", "CA212"))
    run_worker()

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "phone: Please enter a valid phone number (invalid_value)" in event.last_error
    assert freshdesk.tickets == {}


def test_create_interrupted_after_freshdesk_made_the_ticket_is_reconciled(post_webhook, run_worker,
                                                                        freshdesk):
    """Freshdesk created the ticket but the answer never came back: no second ticket."""
    freshdesk.drop_after_apply(1, path_prefix="/api/v2/tickets")
    post_webhook(signed("call.failed", "CA213"))
    run_worker(max_rounds=1)
    assert len(freshdesk.tickets) == 1
    assert Ticket.objects.count() == 0
    run_worker(real_time=30)  # it looks once the create can no longer be in flight (7 s here)

    ticket = only_ticket(freshdesk)
    assert len(ticket_posts(freshdesk)) == 1
    assert Ticket.objects.get().freshdesk_id == ticket["id"]


def test_worker_killed_mid_create_is_waited_for_then_reconciled(post_webhook, run_worker, freshdesk):
    """A worker died after Freshdesk created the ticket, before our commit: its lease is still fresh."""
    from datetime import timedelta

    from django.utils import timezone

    freshdesk.drop_after_apply(1, path_prefix="/api/v2/tickets")
    post_webhook(signed("call.failed", "CA223"))
    run_worker(max_rounds=1)
    # As the killed worker would have left it: lease taken just now, no ticket saved.
    Call.objects.update(ticket_requested_at=timezone.now())
    run_worker(max_rounds=1)
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.RECEIVED
    assert "this call's ticket create may still be in flight" in event.last_error

    Call.objects.update(ticket_requested_at=timezone.now() - timedelta(seconds=46))
    run_worker()

    only_ticket(freshdesk)
    assert len(ticket_posts(freshdesk)) == 1


def test_repeat_missed_call_adds_a_note_to_the_open_callback(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA214", status="no-answer"))
    post_webhook(signed("call.failed", "CA215", status="busy"))
    run_worker()

    ticket = only_ticket(freshdesk)
    notes = notes_of(freshdesk, ticket)
    assert len(notes) == 1
    assert notes[0]["body_text"].startswith("Missed again: +254712345678 called")
    assert "busy" in notes[0]["body_text"]
    assert Call.objects.filter(ticket__freshdesk_id=ticket["id"]).count() == 2


def test_outbound_call_to_a_waiting_number_closes_the_callback(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA216"))
    run_worker()
    ticket = only_ticket(freshdesk)
    freshdesk.tickets[ticket["id"]]["tags"].append("vip")

    post_webhook(signed("call.completed", "CA217", direction="outbound", duration_seconds=60,
                        **{"from": "+254203893800", "to": "0712345678"}))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert ticket["tags"] == ["sautikit", "missed_call", "vip"]
    notes = notes_of(freshdesk, ticket)
    assert len(notes) == 1
    assert "Call ended. Duration: 60s. Cost: KES 3.00." in notes[0]["body_text"]
    assert "Callback done" in notes[0]["body_text"]
    assert not Ticket.objects.get().callback_open

    post_webhook(signed("call.failed", "CA218"))
    run_worker()
    assert len(freshdesk.tickets) == 2


def test_outbound_call_without_ticket_opens_an_outbound_ticket(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.completed", "CA219", direction="outbound", duration_seconds=10,
                        **{"from": "+254203893800", "to": "+254733000222"}))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert ticket["subject"] == "Outbound call to +254733000222"
    assert notes_of(freshdesk, ticket)[0]["body_text"].strip() == "Call ended. Duration: 10s. Cost: KES 0.50."


def test_replaying_a_done_event_adds_nothing(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.answered", "CA220"))
    post_webhook(signed("call.completed", "CA220", duration_seconds=3))
    run_worker()
    before = len(freshdesk.requests)
    WebhookEvent.objects.update(status=WebhookEvent.Status.RECEIVED)
    run_worker()

    writes = [r for r in freshdesk.requests[before:] if r["method"] != "GET"]
    assert writes == []
    assert len(notes_of(freshdesk, only_ticket(freshdesk))) == 1


@pytest.mark.parametrize("number", ["0712345678", "254712345678", "+254712345678"])
def test_kenyan_formats_reach_freshdesk_in_e164(post_webhook, run_worker, freshdesk, number):
    post_webhook(signed("call.failed", "CA221", **{"from": number}))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert freshdesk.contacts[ticket["requester_id"]]["phone"] == "+254712345678"


def test_freshdesk_down_keeps_the_event_for_later(post_webhook, run_worker, freshdesk, settings):
    settings.FRESHDESK_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    post_webhook(signed("call.failed", "CA222"))
    run_worker(max_rounds=1)

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.RECEIVED
    assert "Freshdesk unavailable" in event.last_error
    settings.FRESHDESK_BASE_URL = freshdesk.base_url
    run_worker()
    only_ticket(freshdesk)


def test_voicemail_after_hours_lands_on_a_callback_ticket(post_webhook, run_worker, freshdesk):
    from django.utils import timezone

    from integration.models import RoutingSettings

    RoutingSettings.objects.create(business_hours="24/7", holidays=timezone.localdate().isoformat())
    answer = post_webhook(signed("call.routing", "CA224"))
    assert any("record" in action for action in answer.json()["actions"])
    url = "https://recordings.sautikit.example/CA224.mp3?sig=x"
    post_webhook(signed("recording.ready", "CA224", recording_url=url, recording_duration_seconds=30))
    post_webhook(signed("call.completed", "CA224", duration_seconds=45))
    run_worker()

    ticket = only_ticket(freshdesk)
    assert ticket["subject"] == "Missed call from +254712345678: callback required"
    assert "callback_needed" in ticket["tags"]
    texts = sorted(n["body_text"] for n in notes_of(freshdesk, ticket))
    assert len(texts) == 2
    assert texts[1].startswith("Voicemail (30s, recording charge KES 0.25): listen to the recording.")
    assert Ticket.objects.get().callback_open is True


def test_missed_call_after_the_fold_window_opens_a_new_ticket(post_webhook, run_worker, freshdesk,
                                                              settings):
    from datetime import timedelta

    settings.CALLBACK_FOLD_WINDOW = timedelta(hours=1)
    post_webhook(signed("call.failed", "CA225"))
    run_worker()
    Ticket.objects.update(created_at=Ticket.objects.get().created_at - timedelta(hours=2))
    post_webhook(signed("call.failed", "CA226"))
    run_worker()

    assert len(freshdesk.tickets) == 2


def test_outbound_call_names_the_agent_from_its_metadata(post_webhook, run_worker, freshdesk):
    from agents.models import AgentPhone

    AgentPhone.objects.create(freshdesk_agent_id=201, name="Wanjiku Kamau", phone="+254711000001")
    post_webhook(signed("call.failed", "CA227"))
    run_worker()
    post_webhook(signed("call.completed", "CA228", direction="outbound", duration_seconds=20,
                        metadata={"agent_id": 201}, **{"from": "+254203893800", "to": "+254712345678"}))
    run_worker()

    assert Call.objects.get(call_id="CA228").agent.name == "Wanjiku Kamau"
    note = notes_of(freshdesk, only_ticket(freshdesk))[0]["body_text"]
    assert "Callback done: Wanjiku Kamau called back" in note
    assert Ticket.objects.get().callback_done_by == "Wanjiku Kamau"
