"""Screen pop: a call routed to the agent shows on their open softphone page."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import Call, RoutingSettings, Ticket
from tests.factories import signed

CALLER = "+254712345678"


@pytest.fixture
def routable(agent):
    """The agent is free and available, and calls are routed around the clock."""
    RoutingSettings.objects.create(business_hours="24/7")
    agent.available = True
    agent.save()
    return agent


def route(post_webhook, call_id="CA-in-1", caller="0712 345 678"):
    response = post_webhook(signed("call.routing", call_id, **{"from": caller, "to": "+254203893800"}))
    assert response.status_code == 200, response.content
    return response


def incoming(client):
    response = client.get("/softphone/poll/")
    assert response.status_code == 200
    return response.json()["incoming"]


def test_a_call_routed_to_the_agent_pops_up_with_the_callers_ticket(
        agent_client, routable, post_webhook, freshdesk):
    freshdesk.add_contact("Achieng Otieno", phone=CALLER)
    Ticket.objects.create(freshdesk_id=77, kind="callback", requester_number=CALLER, callback_open=True)
    Ticket.objects.create(freshdesk_id=80, kind="inbound", requester_number=CALLER)

    route(post_webhook)
    pop = incoming(agent_client)

    assert Call.objects.get(call_id="CA-in-1").agent == routable
    assert (pop["from"], pop["name"], pop["status"]) == (CALLER, "Achieng Otieno", "ringing")
    assert pop["ticket"] == {"id": 77, "url": "https://sautidesk-test.freshdesk.com/a/tickets/77",
                             "subject": "", "callback_open": True}


def test_without_an_open_callback_the_most_recent_ticket_is_linked(agent_client, routable, post_webhook, freshdesk):
    Ticket.objects.create(freshdesk_id=80, kind="inbound", requester_number=CALLER)
    newer = Ticket.objects.create(freshdesk_id=81, kind="outbound", requester_number=CALLER)
    Ticket.objects.filter(pk=newer.pk).update(created_at=timezone.now() + timedelta(seconds=1))

    route(post_webhook)

    assert incoming(agent_client)["ticket"]["id"] == 81


def test_a_caller_without_tickets_pops_up_without_a_link(agent_client, routable, post_webhook, freshdesk):
    route(post_webhook)

    pop = incoming(agent_client)
    assert (pop["from"], pop["name"], pop["ticket"]) == (CALLER, "", None)


def test_calls_of_other_agents_and_old_or_finished_calls_do_not_pop(agent_client, agent, make_agent):
    other = make_agent(username="otieno")
    Call.objects.create(call_id="CA-other", from_number=CALLER, to_number="+254203893800", agent=other)
    Call.objects.create(call_id="CA-done", from_number=CALLER, to_number="+254203893800", agent=agent,
                        status="completed")
    Call.objects.create(call_id="CA-out", direction="outbound", from_number="+254203893800",
                        to_number=CALLER, agent=agent)
    old = Call.objects.create(call_id="CA-old", from_number=CALLER, to_number="+254203893800", agent=agent)
    Call.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(minutes=3))

    assert incoming(agent_client) is None


def test_freshdesk_down_leaves_the_name_out_and_the_pop_up_in(agent_client, agent, freshdesk):
    Call.objects.create(call_id="CA-in", from_number=CALLER, to_number="+254203893800", agent=agent,
                        status="answered")
    freshdesk.fail_next(503, count=10)

    first = incoming(agent_client)
    asked = len(freshdesk.requests)
    second = incoming(agent_client)

    assert (first["from"], first["name"], first["status"]) == (CALLER, "", "answered")
    assert second == first
    assert len(freshdesk.requests) == asked  # the failure is remembered for a while: no hammering


def test_a_slow_freshdesk_does_not_hold_up_the_page(agent_client, agent, freshdesk):
    Call.objects.create(call_id="CA-in", from_number=CALLER, to_number="+254203893800", agent=agent)
    freshdesk.delay("/api/v2/contacts", 5)

    started = time.monotonic()
    pop = incoming(agent_client)

    assert time.monotonic() - started < 3
    assert (pop["from"], pop["name"]) == (CALLER, "")
