"""The softphone in a real browser: Playwright driving Debian's Chromium against a live server.

What an agent does: log in, open a click-to-call link, see the number in E.164, click
Call and watch the status; a call routed to them pops up with the caller's ticket; a call
the Sautikit stand-in plays back rings, connects and ends on the page.
`scripts/pictures` refreshes docs/softphone.png from the first scene.
"""

import os
import re
import time

import pytest
import requests

from integration.models import Call, Ticket
from integration.sandbox import CallScript
from tests.browser.conftest import CHROMIUM
from tests.browser.screenshots import screenshot
from tests.factories import AGENT_PASSWORD, SECRET, signed

SECRETS = ("sk_test_never_in_pages", "whsec_test_5f2b9c", "fd_test_key")
CALLER = "+254722000111"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (apt install chromium)"),
]


def post_webhook(live_server, body):
    response = requests.post(f"{live_server.url}/webhooks/sautikit/", json=body, timeout=10)
    assert response.ok, response.text
    return response


def test_agent_calls_a_customer_and_sees_an_incoming_call(live_server, browser_page, agent, sautikit, freshdesk,
                                                          background_worker):
    from playwright.sync_api import expect

    page = browser_page
    freshdesk.add_contact("Achieng Otieno", phone=CALLER)
    Ticket.objects.create(freshdesk_id=77, kind="callback", requester_number=CALLER, callback_open=True,
                          subject=f"Missed call from {CALLER}: callback required")

    # A click-to-call link from Freshdesk, before logging in: the login brings the agent back to it.
    page.goto(f"{live_server.url}/softphone/?number=0712345678&ticket=123")
    expect(page).to_have_url(re.compile(r"/softphone/login/"))
    page.fill("#id_username", "wanjiku")
    page.fill("#id_password", AGENT_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#number")).to_have_value("+254712345678")
    expect(page.locator("#ticket")).to_have_value("123")
    expect(page.locator("#status")).to_have_text("Ready.")

    # Sautikit asks where to send a call; routing picks our agent; the page pops it up.
    post_webhook(live_server, signed("call.routing", "CA-in-browser", **{"from": CALLER, "to": "+254203893800"}))
    expect(page.locator("#incoming")).to_be_visible()
    expect(page.locator("#incoming-who")).to_have_text(f"Achieng Otieno · {CALLER}")
    link = page.locator("#incoming-ticket-link")
    expect(link).to_have_attribute("href", "https://sautidesk-test.freshdesk.com/a/tickets/77")
    expect(link).to_have_text("Open ticket #77")

    # A double click places one call.
    page.dblclick("#call-button")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Calling \+254712345678: ringing"))
    assert len(sautikit.calls) == 1
    assert sautikit.calls[0]["to"] == ["+254712345678"]
    assert sautikit.calls[0]["metadata"] == {"freshdesk_ticket_id": 123, "agent_id": 501}
    expect(page.locator("#calls")).to_contain_text("+254712345678")
    expect(page.locator("#calls a[href='https://sautidesk-test.freshdesk.com/a/tickets/123']")).to_have_text("#123")

    screenshot(page, "softphone.png")

    # Sautikit reports the call's end: the status line follows.
    call = Call.objects.get(direction="outbound")
    post_webhook(live_server, signed("call.completed", call.call_id, direction="outbound", duration_seconds=65,
                                     **{"from": "+254203893800", "to": "+254712345678"}))
    expect(page.locator("#status")).to_have_text("Call to +254712345678 ended after 65s (KES 3.25).")

    html = page.content()
    for secret in SECRETS:
        assert secret not in html


def test_a_call_the_stand_in_plays_back_rings_connects_and_ends_on_the_page(
        live_server, browser_page, agent, sautikit, freshdesk, client, settings, background_worker, run_worker):
    from playwright.sync_api import expect

    settings.PUBLIC_BASE_URL = live_server.url  # where the placed call's webhooks go
    sautikit.play_calls(CallScript(ring_seconds=1.0, talk_seconds=3), webhook_secret=SECRET)
    page = _logged_in(browser_page, live_server, client, agent)
    page.goto(f"{live_server.url}/softphone/?number=0712345678")

    page.click("#call-button")

    expect(page.locator("#status")).to_have_text("Calling +254712345678: ringing…")
    expect(page.locator("#status")).to_have_text("Connected to +254712345678.")
    ended = re.compile(r"^Call to \+254712345678 ended after (\d+)s \(KES (\d+\.\d\d)\)\.$")
    expect(page.locator("#status")).to_have_text(ended)
    expect(page.locator("#calls tr").first).to_contain_text("Completed")
    call = Call.objects.get()
    assert (call.status, call.duration_seconds, str(call.cost_kes)) == ("completed", 3, "0.15")
    assert page.locator("#status").text_content() == "Call to +254712345678 ended after 3s (KES 0.15)."

    # Sautikit's webhooks were signed and stored like real ones; the worker writes the notes.
    deadline = time.monotonic() + 10
    while not Call.objects.filter(recording_url__endswith=".wav").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    run_worker()
    ticket = next(iter(freshdesk.tickets.values()))
    notes = [n["body_text"].strip() for n in freshdesk.notes[ticket["id"]]]
    assert notes[0] == "Call ended. Duration: 3s. Cost: KES 0.15."
    assert notes[1].startswith("Call recording (3s, recording charge KES 0.03): listen to the recording.")


def test_sautikit_errors_show_on_the_page(live_server, browser_page, agent, sautikit, client):
    from playwright.sync_api import expect

    page = _logged_in(browser_page, live_server, client, agent)
    page.goto(f"{live_server.url}/softphone/")
    page.fill("#number", "0712")
    page.click("#call-button")
    expect(page.locator("#status")).to_contain_text("too short to be a phone number")
    expect(page.locator("#status")).to_have_class(re.compile("error"))

    sautikit.fail_next(503)
    page.fill("#number", "0712 345 678")
    page.click("#call-button")
    expect(page.locator("#status")).to_have_text(
        "Sautikit is having trouble; the call was not placed. Try again in a minute.")
    assert not Call.objects.exists()


def test_the_page_fits_a_phone_screen(live_server, browser_page, agent, client):
    from playwright.sync_api import expect

    page = _logged_in(browser_page, live_server, client, agent)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/softphone/?number=0712345678")

    expect(page.locator("#call-button")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#call-button").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375


def _logged_in(page, live_server, client, agent):
    """Log in by handing the browser a session cookie (the login form has its own test above)."""
    client.force_login(agent.user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    return page
