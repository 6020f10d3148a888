"""The callback queue: who waits, how long, and how each callback leaves the queue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from integration.models import Call, Ticket
from tests.admin.conftest import cell, row_of
from tests.factories import signed

pytestmark = pytest.mark.django_db

QUEUE = "/admin/integration/ticket/"
NUMBER = "+254712345678"


def test_missed_call_waits_in_the_queue_with_links_to_freshdesk_and_the_softphone(
        supervisor_client, missed_call, freshdesk):
    missed_call("CA100")
    ticket_id = next(iter(freshdesk.tickets))

    page = supervisor_client.get(QUEUE).content.decode()

    assert "Callback queue: 1 waiting" in page
    row = row_of(page, NUMBER)
    assert row is not None
    assert cell(row, "calls_from_number") == "1"
    assert cell(row, "waiting") in ("0\xa0minutes", "0 minutes")
    assert f'href="https://sautidesk-test.freshdesk.com/a/tickets/{ticket_id}"' in row
    assert escape(f"/softphone/?number=%2B254712345678&ticket={ticket_id}") in row


def test_queue_lists_the_longest_waiting_caller_first(supervisor_client, missed_call, freshdesk):
    missed_call("CA110", number="0711111111")
    missed_call("CA111", number="0722222222")
    # The second caller's ticket came later (say Freshdesk was down), but the call came first:
    # the customer's missed call, not the ticket, says how long they have waited.
    Call.objects.filter(call_id="CA111").update(started_at=timezone.now() - timedelta(hours=3))

    page = supervisor_client.get(QUEUE).content.decode()

    assert page.index("+254722222222") < page.index("+254711111111")
    assert cell(row_of(page, "+254722222222"), "waiting") == "3\xa0hours"


def test_outbound_call_to_the_number_closes_the_callback_end_to_end(
        supervisor_client, missed_call, post_webhook, run_worker, freshdesk):
    missed_call("CA120")
    ticket_id = next(iter(freshdesk.tickets))
    assert row_of(supervisor_client.get(QUEUE).content.decode(), NUMBER)

    post_webhook(signed("call.completed", "CA121", direction="outbound", duration_seconds=60,
                        **{"from": "+254203893800", "to": NUMBER}))
    run_worker()

    assert freshdesk.tickets[ticket_id]["tags"] == ["sautikit", "missed_call"]
    notes = [n["body_text"] for n in freshdesk.notes[ticket_id]]
    assert len(notes) == 1
    assert "Callback done" in notes[0] and "Duration: 60s" in notes[0]
    queue = supervisor_client.get(QUEUE).content.decode()
    assert row_of(queue, NUMBER) is None
    assert "Callback queue: 0 waiting" in queue
    history = supervisor_client.get(QUEUE, {"callback": "done"}).content.decode()
    row = row_of(history, NUMBER)
    assert row is not None
    assert cell(row, "callback_done_by") == "an agent"


def test_repeat_caller_adds_a_note_and_the_queue_counts_two_calls(
        supervisor_client, missed_call, freshdesk):
    missed_call("CA130")
    missed_call("CA131")

    assert len(freshdesk.tickets) == 1
    ticket_id = next(iter(freshdesk.tickets))
    assert ["Missed again" in n["body_text"] for n in freshdesk.notes[ticket_id]] == [True]
    page = supervisor_client.get(QUEUE).content.decode()
    assert "Callback queue: 1 waiting" in page
    assert cell(row_of(page, NUMBER), "calls_from_number") == "2"


def test_bulk_mark_done_asks_for_a_reason_then_closes_in_freshdesk(
        supervisor_client, missed_call, freshdesk):
    missed_call("CA140", number="0711111111")
    missed_call("CA141", number="0722222222")
    missed_call("CA142", number="0733333333")
    chosen = list(Ticket.objects.exclude(requester_number="+254733333333").values_list("pk", flat=True))
    action = {"action": "mark_callbacks_done", "_selected_action": chosen}

    form = supervisor_client.post(QUEUE, action)
    assert form.status_code == 200
    assert "Reason" in form.content.decode() and "Mark 2 callbacks done" in form.content.decode()
    missing_reason = supervisor_client.post(QUEUE, {**action, "apply": "1", "reason": ""})
    assert "This field is required" in missing_reason.content.decode()
    assert Ticket.objects.filter(callback_open=True).count() == 3

    done = supervisor_client.post(QUEUE, {**action, "apply": "1", "reason": "reached by SMS"}, follow=True)

    assert "Marked 2 callback(s) done" in done.content.decode()
    for ticket in Ticket.objects.filter(pk__in=chosen):
        assert not ticket.callback_open
        assert (ticket.callback_done_by, ticket.callback_done_reason) == ("Amina Otieno", "reached by SMS")
        remote = freshdesk.tickets[ticket.freshdesk_id]
        assert remote["tags"] == ["sautikit", "missed_call"]
        assert [n["body_text"] for n in freshdesk.notes[ticket.freshdesk_id]] == [
            "Callback closed by Amina Otieno: reached by SMS"]
    left = Ticket.objects.get(callback_open=True)
    assert left.requester_number == "+254733333333"
    assert "callback_needed" in freshdesk.tickets[left.freshdesk_id]["tags"]
    history = supervisor_client.get(QUEUE, {"callback": "done"}).content.decode()
    assert cell(row_of(history, "+254711111111"), "callback_done_reason") == "reached by SMS"


def test_bulk_mark_done_keeps_a_callback_freshdesk_refused_in_the_queue(
        supervisor_client, missed_call, freshdesk):
    missed_call("CA150", number="0711111111")
    missed_call("CA151", number="0722222222")
    first, second = Ticket.objects.order_by("created_at")
    freshdesk.fail_next(400, path_prefix=f"/api/v2/tickets/{first.freshdesk_id}", method="PUT")

    page = supervisor_client.post(QUEUE, {
        "action": "mark_callbacks_done", "_selected_action": [first.pk, second.pk],
        "apply": "1", "reason": "reached by SMS"}, follow=True).content.decode()

    assert f"Ticket #{first.freshdesk_id} is still open" in page
    assert "Marked 1 callback(s) done" in page
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.callback_open and not second.callback_open
    assert "callback_needed" in freshdesk.tickets[first.freshdesk_id]["tags"]


def test_queue_search_finds_a_number_typed_the_kenyan_way(supervisor_client, missed_call, freshdesk):
    missed_call("CA160", number="0711111111")
    missed_call("CA161", number="0722222222")

    page = supervisor_client.get(QUEUE, {"q": "0722 222 222"}).content.decode()

    assert row_of(page, "+254722222222") and not row_of(page, "+254711111111")


@pytest.mark.parametrize("query", [{"callback": "done"}, {"callback": "all"}, {"kind__exact": "callback"},
                                   {"callback": "all", "kind__exact": "inbound"}])
def test_queue_renders_with_each_filter(supervisor_client, missed_call, freshdesk, query):
    missed_call("CA170")
    assert supervisor_client.get(QUEUE, query).status_code == 200


def test_queue_is_paginated(supervisor_client):
    Ticket.objects.bulk_create(
        Ticket(freshdesk_id=1000 + i, kind="callback", requester_number=f"+2547110{i:05d}",
               callback_open=True) for i in range(60))

    first = supervisor_client.get(QUEUE).content.decode()
    second = supervisor_client.get(QUEUE, {"p": 2}).content.decode()

    assert "Callback queue: 60 waiting" in first
    assert first.count('class="field-requester_number"') == 50
    assert second.count('class="field-requester_number"') == 10


def test_bulk_mark_done_refuses_more_than_fifty_at_once(supervisor_client):
    Ticket.objects.bulk_create(
        Ticket(freshdesk_id=2000 + i, kind="callback", requester_number=f"+2547220{i:05d}",
               callback_open=True) for i in range(51))

    page = supervisor_client.post(QUEUE, {
        "action": "mark_callbacks_done", "select_across": "1", "index": "0",
        "_selected_action": list(Ticket.objects.values_list("pk", flat=True)[:1]),
        "apply": "1", "reason": "reached by SMS"}, follow=True).content.decode()

    assert "Select at most 50 callbacks at a time (51 selected)" in page
    assert Ticket.objects.filter(callback_open=True).count() == 51


def test_bulk_mark_done_stops_when_freshdesk_is_down(supervisor_client, missed_call, freshdesk):
    missed_call("CA180", number="0711111111")
    missed_call("CA181", number="0722222222")
    freshdesk.fail_next(503, count=10)

    page = supervisor_client.post(QUEUE, {
        "action": "mark_callbacks_done", "_selected_action": list(Ticket.objects.values_list("pk", flat=True)),
        "apply": "1", "reason": "reached by SMS"}, follow=True).content.decode()

    assert "Freshdesk is not answering" in page and "2 callback(s) left open" in page
    assert Ticket.objects.filter(callback_open=True).count() == 2
    assert len([r for r in freshdesk.requests if r["method"] == "GET" and "/tickets/" in r["path"]]) == 1


def test_bulk_mark_done_closes_a_callback_whose_ticket_was_deleted_in_freshdesk(
        supervisor_client, missed_call, freshdesk):
    missed_call("CA190")
    ticket = Ticket.objects.get()
    freshdesk.fail_next(404, path_prefix=f"/api/v2/tickets/{ticket.freshdesk_id}")

    page = supervisor_client.post(QUEUE, {
        "action": "mark_callbacks_done", "_selected_action": [ticket.pk],
        "apply": "1", "reason": "duplicate"}, follow=True).content.decode()

    assert f"Ticket #{ticket.freshdesk_id} no longer exists in Freshdesk" in page
    ticket.refresh_from_db()
    assert not ticket.callback_open
    assert ticket.callback_done_reason == "duplicate (ticket deleted in Freshdesk)"


def test_queue_search_counts_against_the_queue_not_every_ticket(supervisor_client, missed_call, freshdesk):
    missed_call("CA200", number="0711111111")
    missed_call("CA201", number="0722222222")
    Ticket.objects.create(freshdesk_id=3000, kind="inbound", requester_number="+254733333333")

    assert "total)" not in supervisor_client.get(QUEUE).content.decode()
    searched = supervisor_client.get(QUEUE, {"q": "0722222222"}).content.decode()
    assert "1 result" in searched and "2 total" in searched


def test_bulk_mark_done_twice_adds_one_note(supervisor_client, missed_call, freshdesk):
    missed_call("CA210")
    ticket = Ticket.objects.get()
    form = {"action": "mark_callbacks_done", "_selected_action": [ticket.pk], "apply": "1",
            "reason": "reached by SMS"}

    supervisor_client.post(QUEUE, form)
    again = supervisor_client.post(QUEUE, form, follow=True).content.decode()

    assert "None of the selected tickets waits for a callback" in again
    assert len(freshdesk.notes[ticket.freshdesk_id]) == 1


def test_bulk_mark_done_closes_even_when_the_note_fails(supervisor_client, missed_call, freshdesk):
    missed_call("CA220")
    ticket = Ticket.objects.get()
    freshdesk.fail_next(500, path_prefix=f"/api/v2/tickets/{ticket.freshdesk_id}/notes", method="POST")

    page = supervisor_client.post(QUEUE, {
        "action": "mark_callbacks_done", "_selected_action": [ticket.pk], "apply": "1",
        "reason": "reached by SMS"}, follow=True).content.decode()

    assert f"Ticket #{ticket.freshdesk_id} is closed, but its note could not be added" in page
    ticket.refresh_from_db()
    assert not ticket.callback_open
    assert "callback_needed" not in freshdesk.tickets[ticket.freshdesk_id]["tags"]


def test_ticket_page_lists_the_calls_logged_on_it(supervisor_client, missed_call, freshdesk):
    missed_call("CA230")
    missed_call("CA231")
    ticket = Ticket.objects.get()

    page = supervisor_client.get(f"{QUEUE}{ticket.pk}/change/").content.decode()

    assert page.count("Missed / failed") == 2
    assert "no-answer" in page
    assert 'name="_save"' not in page
