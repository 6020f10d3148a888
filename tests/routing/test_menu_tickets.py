"""A call that went through the voice menu gets its Freshdesk ticket in the chosen team's group."""

import time

import pytest

from agents.models import Team
from integration.models import Call, MenuOption, Ticket, WebhookEvent
from tests.factories import signed

from .conftest import OUR_NUMBER

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def groups(freshdesk, teams):
    """The Freshdesk groups behind the Sales (71) and Support (72) teams."""
    freshdesk.add_group("Sales", id=71)
    freshdesk.add_group("Support", id=72)


def through_the_menu(post_webhook, call_id, *keys):
    signed_at = int(time.time()) - 30
    post_webhook(signed("call.routing", call_id, to=OUR_NUMBER, signed_at=signed_at))
    for n, key in enumerate(keys, start=1):
        post_webhook(signed("call.routing", call_id, to=OUR_NUMBER, digits=key, signed_at=signed_at + n))


def test_a_missed_call_to_support_opens_its_callback_ticket_in_supports_group(
        menu, groups, make_agent, post_webhook, run_worker, freshdesk, teams):
    make_agent("Otieno", phone="+254711000002").teams.add(teams[1])
    through_the_menu(post_webhook, "CAMT1", "9", "2")
    post_webhook(signed("call.failed", "CAMT1", status="no-answer"))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert ticket["group_id"] == 72
    assert ticket["tags"] == ["sautikit", "missed_call", "callback_needed", "menu_2", "lang_sw"]
    assert "Voice menu: pressed 2, team Support, in Kiswahili." in ticket["description_text"]
    assert Ticket.objects.get().team == teams[1]


def test_a_voicemail_left_because_the_team_was_busy_is_a_callback_in_its_group(
        menu, groups, post_webhook, run_worker, freshdesk):
    through_the_menu(post_webhook, "CAMT2", "1")  # nobody in Sales: busy, voicemail
    post_webhook(signed("call.completed", "CAMT2", duration_seconds=40))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert (ticket["group_id"], ticket["tags"][-2:]) == (71, ["menu_1", "lang_en"])
    assert "callback_needed" in ticket["tags"]


def test_an_answered_call_is_logged_in_the_teams_group(menu, groups, make_agent, post_webhook, run_worker,
                                                       freshdesk, teams):
    make_agent("Wanjiku", phone="+254711000001").teams.add(teams[0])
    through_the_menu(post_webhook, "CAMT3", "1")
    post_webhook(signed("call.answered", "CAMT3"))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert (ticket["group_id"], ticket["tags"]) == (71, ["sautikit", "inbound_call", "menu_1", "lang_en"])


def test_a_caller_who_chose_nothing_is_tagged_so_and_lands_in_the_default_team(
        menu, groups, post_webhook, run_worker, freshdesk):
    through_the_menu(post_webhook, "CAMT4", "", "7")
    post_webhook(signed("call.failed", "CAMT4", status="no-answer"))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert (ticket["group_id"], ticket["tags"][-2:]) == (72, ["menu_none", "lang_en"])


def test_a_caller_who_only_wanted_the_recorded_message_leaves_no_callback(menu, groups, post_webhook,
                                                                          run_worker, freshdesk):
    MenuOption.objects.create(menu=menu, key="3", label_en="our paybill", action="message",
                              message_en="Our paybill number is 522 522.")
    through_the_menu(post_webhook, "CAMT5", "3")
    post_webhook(signed("call.completed", "CAMT5", duration_seconds=20))

    run_worker()

    assert freshdesk.tickets == {}
    assert WebhookEvent.objects.get(event="call.completed").status == WebhookEvent.Status.IGNORED


def test_a_group_deleted_in_freshdesk_since_the_last_sync_still_gets_a_ticket(
        menu, groups, post_webhook, run_worker, freshdesk):
    freshdesk.delete_group(71)  # our Sales team does not know yet
    through_the_menu(post_webhook, "CAMT6", "1")
    post_webhook(signed("call.failed", "CAMT6", status="no-answer"))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert ticket["group_id"] is None
    assert "menu_1" in ticket["tags"]
    assert WebhookEvent.objects.get(event="call.failed").status == WebhookEvent.Status.DONE


def test_calling_back_keeps_the_menu_tags(menu, groups, post_webhook, run_worker, freshdesk):
    through_the_menu(post_webhook, "CAMT7", "2")
    post_webhook(signed("call.failed", "CAMT7", status="no-answer"))
    run_worker()
    ticket = next(iter(freshdesk.tickets.values()))

    post_webhook(signed("call.completed", "CAMT7-back", direction="outbound", duration_seconds=60,
                        **{"from": OUR_NUMBER, "to": "+254712345678"}))
    run_worker()

    assert freshdesk.tickets[ticket["id"]]["tags"] == ["sautikit", "missed_call", "menu_2", "lang_en"]


def test_a_call_to_a_number_without_a_menu_gets_a_ticket_as_before(groups, rules, post_webhook, run_worker,
                                                                   freshdesk):
    post_webhook(signed("call.routing", "CAMT8", to="+254203893801"))
    post_webhook(signed("call.failed", "CAMT8", status="no-answer"))

    run_worker()

    ticket = next(iter(freshdesk.tickets.values()))
    assert (ticket["group_id"], ticket["tags"]) == (None, ["sautikit", "missed_call", "callback_needed"])
    assert Call.objects.get(call_id="CAMT8").team is None
    assert Team.objects.count() == 2
