"""Tickets belong to the Freshdesk account they were made in: another account's never serve a call."""

import pytest

from integration.models import Call, Ticket, WebhookEvent
from integration.sandbox import FreshdeskSandbox
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_accounts(settings):
    """Two fresh Freshdesk accounts (or one sandbox before and after a restart without its file):
    each hands out ticket ids from 1, so the same id means different tickets."""
    with FreshdeskSandbox(api_key="key-a") as first, FreshdeskSandbox(api_key="key-b") as second:
        def use(account):
            settings.FRESHDESK_BASE_URL, settings.FRESHDESK_API_KEY = account.base_url, account.api_key
        yield first, second, use


def test_a_call_on_another_account_is_never_filed_under_an_old_ticket(post_webhook, run_worker, two_accounts):
    first, second, use = two_accounts
    use(first)
    post_webhook(signed("call.failed", "CA-ACC-1", status="no-answer", **{"from": "0712345678"}))
    run_worker()
    use(second)
    post_webhook(signed("call.answered", "CA-ACC-2", **{"from": "0733000111"}))
    run_worker()

    new_call = Call.objects.get(call_id="CA-ACC-2")
    assert new_call.ticket.freshdesk_id == next(iter(second.tickets))  # same id as the first account's…
    assert new_call.ticket.requester_number == "+254733000111"  # …but its own ticket row
    assert new_call.ticket != Call.objects.get(call_id="CA-ACC-1").ticket
    assert list(Ticket.objects.values_list("requester_number", flat=True)) == ["+254733000111"]


def test_a_missed_call_never_folds_into_another_accounts_callback(post_webhook, run_worker, two_accounts):
    first, second, use = two_accounts
    use(first)
    post_webhook(signed("call.failed", "CA-ACC-3", status="no-answer", **{"from": "0712345678"}))
    run_worker()
    use(second)
    post_webhook(signed("call.failed", "CA-ACC-4", status="busy", **{"from": "0712345678"}))
    run_worker()

    assert len(second.tickets) == 1
    ticket = next(iter(second.tickets.values()))
    assert "callback_needed" in ticket["tags"]
    assert second.notes[ticket["id"]] == []
    assert len(first.tickets) == 1 and first.notes[next(iter(first.tickets))] == []
    assert Ticket.objects.get().callback_open  # the second account's own callback, waiting


def test_a_late_event_of_a_call_on_the_old_account_writes_nothing_to_the_new_one(post_webhook, run_worker,
                                                                                two_accounts):
    first, second, use = two_accounts
    use(second)
    post_webhook(signed("call.answered", "CA-ACC-5", **{"from": "0733000111"}))
    run_worker()  # the new account's ticket 1, someone else's call
    use(first)
    post_webhook(signed("call.answered", "CA-ACC-6", **{"from": "0712345678"}))
    run_worker()  # the old account's ticket 1
    use(second)
    post_webhook(signed("call.completed", "CA-ACC-6", duration_seconds=30))
    run_worker()

    event = WebhookEvent.objects.get(call_id="CA-ACC-6", event="call.completed")
    assert event.status == WebhookEvent.Status.FAILED
    assert f"of Freshdesk account 127.0.0.1:{first.port}, not the configured 127.0.0.1:{second.port}" in event.last_error
    assert second.notes[1] == []  # the same id in the new account: left alone
