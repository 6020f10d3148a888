"""The Freshdesk app in a real browser: its sidebar page in Chromium, inside a stand-in for
Freshdesk (tests/browser/freshworks.py) whose request templates reach a running SautiDesk.

What an agent sees: click a number in Freshdesk and the phone opens with it (linked to the
ticket they have open); Call rings the customer once, from their agent phone; a call routed
to them pops up and opens the caller's ticket; a revoked token stops the app.
"""

import json
import os
import re

import pytest
import requests

from agents.api import IsActiveAgent
from agents.app_tokens import issue_app_token, revoke
from agents.models import AppToken
from integration.models import Call, Ticket
from tests.browser.conftest import CHROMIUM
from tests.browser.screenshots import screenshot
from tests.browser.freshworks import FreshdeskPage, FreshworksProxy
from tests.factories import signed

CALLER = "+254722000111"
TEMPLATE_HOST = "sautidesk.test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (apt install chromium)"),
]


@pytest.fixture
def app_token(db):
    return issue_app_token("Freshdesk (browser test)")[1]


@pytest.fixture
def freshdesk_page():
    with FreshdeskPage() as server:
        yield server


@pytest.fixture
def open_freshdesk(browser_page, live_server, settings, app_token, freshdesk_page):
    """Freshdesk open for an agent: returns (the page, the sidebar frame, the template proxy)."""
    settings.PUBLIC_BASE_URL = live_server.url  # where the sidebar polls: cross-origin from the app
    proxy = FreshworksProxy(iparams={"sautidesk_host": TEMPLATE_HOST, "app_token": app_token},
                            hosts={TEMPLATE_HOST: live_server.url})
    browser_page.expose_function("fdkInvokeTemplate", proxy.invoke)
    seen = []
    browser_page.on("request", lambda request: seen.append((request.url, request.headers)))

    def open_(agent_id=501, **data):
        data["loggedInUser"] = {"id": agent_id, "contact": {"name": "Agent"}}
        browser_page.add_init_script(f"window.fdkHostConfig = {json.dumps({'data': data})};")
        browser_page.goto(f"{freshdesk_page.base_url}/host.html")
        return browser_page, browser_page.frame_locator("#cti"), proxy

    yield open_
    # The secure iparam stays with "Freshworks": no request the browser made carried it.
    assert app_token not in json.dumps(seen)


def interface_calls(page, action):
    return [entry["payload"] for entry in page.evaluate("fdkHost.entries('interface')") if entry["action"] == action]


def dial(page, number):
    page.evaluate("number => fdkHost.emitAt('cti_global_sidebar', 'cti.triggerDialer', {number})", number)


def post_webhook(live_server, body):
    response = requests.post(f"{live_server.url}/webhooks/sautikit/", json=body, timeout=10)
    assert response.ok, response.text


def test_a_clicked_number_fills_the_dialer_and_call_rings_the_customer_once(open_freshdesk, agent, sautikit):
    from playwright.sync_api import expect

    page, sidebar, proxy = open_freshdesk(ticket={"id": 123, "subject": "Refund"},
                                          contact={"name": "Achieng", "phone": "0712345678", "mobile": None})
    expect(sidebar.locator("#status")).to_have_text("Ready.")
    expect(sidebar.locator("#agent-name")).to_have_text("Wanjiku Kamau")

    # The agent opens ticket 123; its background location tells the sidebar, then they click
    # the requester's number in the ticket's contact details.
    page.evaluate("fdkHost.openLocation('ticket_background', '/app/ticket_background.html', '2', true)")
    page.wait_for_function("fdkHost.instances().length === 2")
    page.frame_locator("#ticket_background").locator("body").wait_for(state="attached")
    page.wait_for_timeout(300)  # the instance message is asynchronous
    dial(page, "+254 712 345 678")

    expect(sidebar.locator("#number")).to_have_value("+254 712 345 678")
    expect(sidebar.locator("#ticket")).to_have_value("123")
    expect(sidebar.locator("#status")).to_have_text("Ready to call +254 712 345 678.")
    assert {"id": "softphone"} in interface_calls(page, "show")

    sidebar.locator("#call-button").dblclick()
    expect(sidebar.locator("#status")).to_have_text(re.compile(r"^Calling \+254712345678: ringing"))
    assert len(sautikit.calls) == 1
    assert sautikit.calls[0]["to"] == ["+254712345678"]
    assert sautikit.calls[0]["metadata"] == {"freshdesk_ticket_id": 123, "agent_id": 501}
    call = Call.objects.get()
    assert (call.agent, call.placed_by, call.ticket.freshdesk_id) == (agent, agent.user, 123)
    expect(sidebar.locator("#calls")).to_contain_text("To +254712345678")

    # What Freshworks sent on the app's behalf: the token only in the Authorization header.
    placed = [sent for sent in proxy.sent if sent[0] == "placeCall"]
    assert len(placed) == 1
    _, method, url, headers, body = placed[0]
    assert (method, url) == ("POST", f"{proxy.hosts[TEMPLATE_HOST]}/api/freshdesk-app/agents/501/calls/")
    assert headers["Authorization"].startswith("Bearer sdapp_")
    assert json.loads(body)["ticket_id"] == 123

    # A number that is not this ticket's requester's is called without the ticket.
    dial(page, "0733 000 111")
    expect(sidebar.locator("#number")).to_have_value("0733 000 111")
    expect(sidebar.locator("#ticket")).to_have_value("")


def test_a_routed_call_pops_up_and_opens_the_callers_ticket_once_it_exists(
        open_freshdesk, agent, live_server, freshdesk, run_worker):
    from playwright.sync_api import expect

    freshdesk.add_contact("Achieng Otieno", phone=CALLER)
    page, sidebar, _ = open_freshdesk()
    expect(sidebar.locator("#status")).to_have_text("Ready.")

    post_webhook(live_server, signed("call.routing", "CA-in-app", **{"from": CALLER, "to": "+254203893800"}))
    expect(sidebar.locator("#incoming")).to_be_visible()
    expect(sidebar.locator("#incoming-who")).to_have_text(f"Achieng Otieno · {CALLER}")
    expect(sidebar.locator("#incoming-ticket")).to_contain_text("No ticket for this number yet")
    assert interface_calls(page, "click") == []

    # The agent answers; SautiDesk's worker creates the call's ticket in Freshdesk.
    post_webhook(live_server, signed("call.answered", "CA-in-app", **{"from": CALLER, "to": "+254203893800"}))
    run_worker()
    ticket = Ticket.objects.get(requester_number=CALLER)
    expect(sidebar.locator("#incoming-ticket-link")).to_have_text(f"Open ticket #{ticket.freshdesk_id}")
    page.wait_for_function("fdkHost.entries('interface').some(e => e.action === 'click')")
    page.wait_for_timeout(3500)  # another poll: the ticket is opened once, not on every poll

    assert interface_calls(page, "click") == [{"id": "ticket", "value": ticket.freshdesk_id}]
    assert {"id": "softphone"} in interface_calls(page, "show")


def test_a_caller_with_open_callbacks_pops_up_with_them(open_freshdesk, agent, live_server, freshdesk):
    from playwright.sync_api import expect

    freshdesk.add_contact("Achieng Otieno", phone=CALLER)
    Ticket.objects.create(freshdesk_id=77, kind="callback", requester_number=CALLER, callback_open=True,
                          subject=f"Missed call from {CALLER}: callback required")
    page, sidebar, _ = open_freshdesk()
    expect(sidebar.locator("#status")).to_have_text("Ready.")

    post_webhook(live_server, signed("call.routing", "CA-in-cb", **{"from": CALLER, "to": "+254203893800"}))

    expect(sidebar.locator("#incoming-callbacks")).to_contain_text("#77 Missed call from")
    page.wait_for_function("fdkHost.entries('interface').some(e => e.action === 'click')")
    assert interface_calls(page, "click") == [{"id": "ticket", "value": 77}]
    screenshot(page, "freshdesk-app.png", selector="#cti")


def test_a_revoked_token_stops_the_app(open_freshdesk, agent, sautikit):
    from playwright.sync_api import expect

    page, sidebar, _ = open_freshdesk()
    expect(sidebar.locator("#status")).to_have_text("Ready.")

    revoke(AppToken.objects.all())

    # The next poll is refused, the app asks for a new session and is refused too.
    expect(sidebar.locator("#notice")).to_contain_text("SautiDesk refused this app's token", timeout=15_000)
    expect(sidebar.locator("#call-form")).to_be_hidden()
    dial(page, "0712345678")
    sidebar.locator("#call-button").dispatch_event("click")
    assert sautikit.calls == []
    assert Call.objects.count() == 0


def test_an_agent_not_linked_in_sautidesk_gets_the_softphones_message(open_freshdesk, agent):
    from playwright.sync_api import expect

    _, sidebar, _ = open_freshdesk(agent_id=999)

    expect(sidebar.locator("#notice")).to_contain_text(IsActiveAgent.message)
    expect(sidebar.locator("#call-form")).to_be_hidden()
