"""The /softphone/ page: who may see it, what it pre-fills, and that it holds no secret."""

import re

from django.test import Client

from integration.models import Call, Ticket
from tests.factories import AGENT_PASSWORD

SECRETS = ("sk_test_never_in_pages", "whsec_test_5f2b9c", "fd_test_key")


def field_value(html, field_id):
    match = re.search(rf'<input id="{field_id}"[^>]*?value="([^"]*)"', html, re.S)
    return match and match.group(1)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/softphone/?number=0712345678")

    assert response.status_code == 302
    assert response["Location"].startswith("/softphone/login/?next=/softphone/")


def test_an_agent_who_is_not_staff_can_log_in(client, agent):
    response = client.post("/softphone/login/", {"username": "wanjiku", "password": AGENT_PASSWORD,
                                                 "next": "/softphone/?number=0712345678"})

    assert response.status_code == 302
    assert response["Location"] == "/softphone/?number=0712345678"
    assert client.get(response["Location"]).status_code == 200


def test_the_number_and_ticket_are_prefilled_in_e164(agent_client):
    html = agent_client.get("/softphone/?number=0712345678&ticket=123").content.decode()

    assert field_value(html, "number") == "+254712345678"
    assert field_value(html, "ticket") == "123"


def test_an_unencoded_plus_from_a_freshdesk_placeholder_still_reads(agent_client):
    html = agent_client.get("/softphone/?number=+1 202 555 0100").content.decode()

    assert field_value(html, "number") == "+12025550100"


def test_a_prefill_that_is_not_a_number_is_shown_for_the_agent_to_fix(agent_client):
    html = agent_client.get("/softphone/?number=call%20me&ticket=abc").content.decode()

    assert field_value(html, "number") == "call me"
    assert "does not look like a phone number" in html
    assert field_value(html, "ticket") == ""


def test_a_user_without_an_agent_is_told_to_ask_a_supervisor(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))

    html = client.get("/softphone/").content.decode()

    assert "is not linked to an active agent" in html
    assert "Admin → Agent phones" in html
    assert 'id="call-form"' not in html


def test_recent_calls_link_to_their_tickets(agent_client, agent, make_agent):
    ticket = Ticket.objects.create(freshdesk_id=55, kind="outbound", requester_number="+254712345678")
    Call.objects.create(call_id="CA1", direction="outbound", from_number="+254203893800",
                        to_number="+254712345678", status="completed", duration_seconds=65,
                        cost_kes="3.25", agent=agent, placed_by=agent.user, ticket=ticket)
    Call.objects.create(call_id="CA2", direction="outbound", from_number="+254203893800",
                        to_number="+254799999999", agent=make_agent(username="otieno"))

    html = agent_client.get("/softphone/").content.decode()

    assert 'href="https://sautidesk-test.freshdesk.com/a/tickets/55"' in html
    assert "KES 3.25" in html and "65s" in html
    assert "+254799999999" not in html
    calls = agent_client.get("/softphone/poll/").json()["calls"]
    assert [(c["call_id"], c["number"], c["status"], c["ticket_url"]) for c in calls] == [
        ("CA1", "+254712345678", "completed", "https://sautidesk-test.freshdesk.com/a/tickets/55")]


def test_no_secret_reaches_the_browser(agent_client, sautikit):
    responses = [
        agent_client.get("/softphone/?number=0712345678&ticket=5"),
        agent_client.post("/api/calls/", {"to": "0712345678"}, content_type="application/json"),
        agent_client.get("/softphone/poll/"),
        Client().get("/softphone/login/"),
    ]

    for response in responses:
        text = response.content.decode()
        assert response.status_code in (200, 201), text
        for secret in SECRETS:
            assert secret not in text


def test_the_poll_refuses_anonymous_users(client, db):
    response = client.get("/softphone/poll/")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_logging_out_returns_to_the_login_page(agent_client):
    response = agent_client.post("/softphone/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/softphone/login/"
    assert agent_client.get("/softphone/").status_code == 302
