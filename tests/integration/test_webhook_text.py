"""Webhook text that reaches Freshdesk subjects and contact names carries no control characters."""

import re

import pytest

from integration.text import one_line
from tests.factories import signed

pytestmark = pytest.mark.django_db

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_a_caller_name_with_control_characters_reaches_freshdesk_clean(post_webhook, run_worker, freshdesk):
    name = "Amina\x00 Otieno\x1b[2J\r\nTicket closed\u202egnp.exe"
    post_webhook(signed("call.failed", "CA-text-1", status="no-answer", metadata={"caller_name": name}))
    run_worker()

    [ticket] = freshdesk.tickets.values()
    [contact] = freshdesk.contacts.values()
    assert contact["name"] == "Amina Otieno [2J Ticket closed gnp.exe"
    assert not CONTROL.search(ticket["subject"])


def test_an_unreadable_number_reaches_the_subject_clean(post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA-text-2", status="no-answer", **{"from": "+2547\x07\x1b]0;x\x07"}))
    run_worker()

    [ticket] = freshdesk.tickets.values()
    assert ticket["subject"] == "Missed call from +2547 ]0;x: callback required"
    assert not CONTROL.search(next(iter(freshdesk.contacts.values()))["name"])


@pytest.mark.parametrize("text, clean", [
    ("Wanjiku\tKamau", "Wanjiku Kamau"),
    ("  Baraka \u2028 Ochieng \x85", "Baraka Ochieng"),
    ("\u2066Fatuma\u2069", "Fatuma"),
    ("Zawadi 🙂‍↔️", "Zawadi 🙂‍↔️"),  # emoji joiners are not controls
])
def test_one_line(text, clean):
    assert one_line(text) == clean
