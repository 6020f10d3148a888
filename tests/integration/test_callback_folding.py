"""Missed calls from one number fold into one callback ticket, even when they are processed at once."""

import pytest
from django.db import connection

from integration.models import Call, WebhookEvent
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_simultaneous_missed_calls_from_one_number_give_one_ticket_and_three_notes(
        post_webhook, run_worker, process_at_once, freshdesk):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 (CI has it): SQLite runs one writer at a time")
    for n in range(4):
        post_webhook(signed("call.failed", f"CA-SIM-{n}", status="no-answer", **{"from": "0712345678"}))
    freshdesk.slow_create(0.5, count=4)  # a create takes a moment, as over the internet

    assert process_at_once(list(WebhookEvent.objects.values_list("pk", flat=True))) == []
    run_worker(real_time=60)  # the calls that waited for the first one's ticket

    assert len(freshdesk.tickets) == 1
    ticket = next(iter(freshdesk.tickets.values()))
    notes = [n["body_text"] for n in freshdesk.notes[ticket["id"]]]
    assert len(notes) == 3
    assert all(n.startswith("Missed again: +254712345678 called") for n in notes)
    assert set(Call.objects.values_list("ticket__freshdesk_id", flat=True)) == {ticket["id"]}
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}
