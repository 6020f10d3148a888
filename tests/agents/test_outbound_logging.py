"""A call placed from the softphone ends up as a note on its ticket, through the real webhook path."""

from integration.clients.freshdesk import FreshdeskClient
from integration.models import Call, Ticket
from tests.factories import signed

OUR_NUMBER = "+254203893800"


def completed(sautikit, duration):
    """The call.completed webhook Sautikit sends for the call it was asked to place."""
    sent = sautikit.calls[-1]
    return signed("call.completed", sent["call_id"], direction="outbound", duration_seconds=duration,
                  metadata=sent["metadata"], **{"from": OUR_NUMBER, "to": sent["to"][0]})


def test_completed_call_adds_a_note_to_the_ticket_it_was_placed_from(
        place, sautikit, freshdesk, post_webhook, run_worker):
    ticket = FreshdeskClient.from_settings().create_ticket(
        subject="Router not working", description="<p>Please call me</p>", phone="+254712345678",
        name="Achieng", status=2, priority=2, source=3)

    assert place({"to": "0712345678", "ticket_id": ticket["id"]}).status_code == 201
    post_webhook(completed(sautikit, 65))
    run_worker()

    notes = freshdesk.notes[ticket["id"]]
    assert [n["body_text"].strip() for n in notes] == ["Call ended. Duration: 65s. Cost: KES 3.25."]
    assert notes[0]["private"] is True
    assert len(freshdesk.tickets) == 1
    call = Call.objects.get()
    assert (call.status, call.duration_seconds, str(call.cost_kes)) == ("completed", 65, "3.25")


def test_completed_call_without_a_ticket_opens_an_outbound_ticket(
        place, sautikit, freshdesk, post_webhook, run_worker):
    assert place({"to": "0733 000 222"}).status_code == 201
    post_webhook(completed(sautikit, 10))
    run_worker()

    [ticket] = freshdesk.tickets.values()
    assert ticket["subject"] == "Outbound call to +254733000222"
    assert freshdesk.notes[ticket["id"]][0]["body_text"].strip() == "Call ended. Duration: 10s. Cost: KES 0.50."
    assert Call.objects.get().ticket.freshdesk_id == ticket["id"]


def test_calling_back_a_missed_caller_closes_their_callback(
        place, agent, sautikit, freshdesk, post_webhook, run_worker):
    post_webhook(signed("call.failed", "CA-missed-1", status="no-answer", **{"from": "0712345678"}))
    run_worker()
    [callback] = freshdesk.tickets.values()

    response = place({"to": "0712345678"})
    assert response.json()["ticket_id"] == callback["id"]
    post_webhook(completed(sautikit, 40))
    run_worker()

    [ticket] = freshdesk.tickets.values()
    assert "callback_needed" not in ticket["tags"]
    note = freshdesk.notes[ticket["id"]][0]["body_text"]
    assert "Call ended. Duration: 40s. Cost: KES 2.00." in note
    assert f"Callback done: {agent.name} called back" in note
    assert not Ticket.objects.get().callback_open
