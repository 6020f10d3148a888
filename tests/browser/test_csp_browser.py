"""Our pages work in Chromium under their Content-Security-Policy, with no violation reported.

Chromium reports each blocked inline script or style on the console; every page a supervisor
or an agent uses is opened, used a little, and the console must stay free of such reports.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from agents.models import AgentPhone
from agents.permissions import ensure_supervisors_group
from integration.models import Ticket
from tests.factories import AGENT_PASSWORD, signed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not installed at {CHROMIUM}"),
]
# Playwright's sync API runs an event loop in this thread; the ORM calls between page
# actions are ordinary synchronous code, which Django would otherwise refuse there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ADMIN_PAGES = [
    "/admin/", "/admin/dashboard/", "/admin/integration/ticket/", "/admin/integration/call/",
    "/admin/integration/webhookevent/", "/admin/agents/agentphone/", "/admin/agents/agentphone/add/",
    "/admin/agents/allowednumber/", "/admin/agents/allowednumber/add/", "/admin/agents/callinglimits/",
    "/admin/integration/routingsettings/", "/admin/axes/accessattempt/",
]


class Console:
    """What the page reported: CSP violations and script errors, for the test to assert on."""

    def __init__(self, page):
        self.violations, self.errors = [], []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made inside Playwright's event loop opened a connection of their own:
            # close it, or the test database cannot be dropped at the end.
            connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console = Console(page)
    yield page
    context.close()


def open_page(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    # A nonce is added to these when the page has inline code of its own.
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    return response


def test_the_admin_works_under_the_policy(live_server, page, django_user_model, post_webhook):
    from playwright.sync_api import expect

    supervisor = django_user_model.objects.create_user("amina", password="s3cret-pass", is_staff=True)
    supervisor.groups.add(ensure_supervisors_group())
    AgentPhone.objects.create(freshdesk_agent_id=777, name="Nobody's Phone")  # the red "No phone" cell
    Ticket.objects.create(freshdesk_id=77, kind="callback", requester_number="+254722000111",
                          callback_open=True)
    post_webhook(signed("call.failed", "CA-csp-1", status="no-answer"))  # an event to open

    open_page(page, f"{live_server.url}/admin/login/")
    page.fill("#id_username", "amina")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    expect(page.locator("#content-main")).to_be_visible()

    for path in ADMIN_PAGES:
        open_page(page, f"{live_server.url}{path}")
    # Opening the event, then the admin's own scripts at work: select all rows, switch the theme.
    open_page(page, f"{live_server.url}/admin/integration/webhookevent/")
    page.click("#result_list tbody a")
    expect(page.locator(".sautidesk-payload")).to_contain_text("CA-csp-1")
    open_page(page, f"{live_server.url}/admin/integration/ticket/")
    expect(page.locator("td.field-call_back a")).to_have_css("white-space", "nowrap")
    page.check("#action-toggle")
    expect(page.locator("input.action-select").first).to_be_checked()
    theme = page.evaluate("document.documentElement.dataset.theme || 'auto'")
    page.click("button.theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") != theme
    open_page(page, f"{live_server.url}/admin/dashboard/")
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("#kpi-spend .figure")).to_have_css("font-weight", "600")  # its inline style applied

    assert page.console.violations == []
    assert page.console.errors == []


def test_the_softphone_works_under_the_policy(live_server, page, make_agent, sautikit):
    from playwright.sync_api import expect

    make_agent(username="wanjiku", phone="+254711000001")

    open_page(page, f"{live_server.url}/softphone/login/")
    page.fill("#id_username", "wanjiku")
    page.fill("#id_password", AGENT_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#call-form")).to_be_visible()
    served = open_page(page, f"{live_server.url}/softphone/?number=0712345678")
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", served.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in served.text()

    page.click("#call-button")  # the page's own (nonce'd) script places the call
    expect(page.locator("#status")).to_have_text(re.compile(r"^Calling \+254712345678: ringing"))
    expect(page.locator("header")).to_have_css("background-color", "rgb(11, 110, 79)")  # styled
    page.fill("#number", "+1 900 555 0100")
    page.click("#call-button")
    expect(page.locator("#status")).to_contain_text("premium-rate numbers can't be called from the softphone")
    assert len(sautikit.calls) == 1

    assert page.console.violations == []
    assert page.console.errors == []


def test_an_injected_inline_script_is_blocked_and_reported(live_server, page):
    """The console collector above does see violations: an inline script without the nonce."""
    open_page(page, f"{live_server.url}/softphone/login/")

    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.body.appendChild(s); }""")

    assert page.evaluate("window.injected === undefined")
    page.wait_for_timeout(200)
    assert any("script-src" in text for text in page.console.violations)


def test_the_lockout_pages_are_styled_under_the_policy(live_server, page, make_agent, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_agent(username="wanjiku")
    for _ in range(2):
        open_page(page, f"{live_server.url}/softphone/login/")
        page.fill("#id_username", "wanjiku")
        page.fill("#id_password", "wrong")
        page.click("button[type=submit]")

    assert "This login is locked" in page.content()
    assert page.locator("header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 110, 79)"
    assert page.console.violations == []


def test_the_front_door_and_the_app_token_pages_work_under_the_policy(live_server, page,
                                                                       django_user_model):
    from playwright.sync_api import expect

    django_user_model.objects.create_superuser("root", password="s3cret-pass")
    open_page(page, f"{live_server.url}/")
    open_page(page, f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    expect(page.locator("#content-main")).to_be_visible()
    open_page(page, f"{live_server.url}/")
    open_page(page, f"{live_server.url}/admin/agents/apptoken/")

    open_page(page, f"{live_server.url}/admin/agents/apptoken/add/")
    page.fill("#id_name", "Freshdesk (production)")
    page.click("input[name=_save]")
    token = page.locator("#app-token")
    expect(token).to_have_css("font-family", "monospace")  # its style, under the nonce
    token.click()  # its script selects the token for copying
    assert page.evaluate("document.getSelection().toString() || "
                         "document.activeElement.value.substring(document.activeElement.selectionStart,"
                         " document.activeElement.selectionEnd)") == token.input_value()

    assert page.console.violations == []
    assert page.console.errors == []
