"""The supervisor admin in Chromium: the callback queue, the replay action, the dashboard.

`scripts/pictures` refreshes docs/admin-queue.png and docs/dashboard.png from these scenes.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from agents.models import AgentPhone
from agents.permissions import ensure_supervisors_group
from integration.models import Call, Ticket, WebhookEvent
from tests.browser.screenshots import screenshot
from tests.factories import signed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not installed at {CHROMIUM}"),
]
# Playwright's sync API runs an event loop in this thread; the ORM calls between page
# actions are ordinary synchronous code, which Django would otherwise refuse there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def supervisor_page(browser, live_server, transactional_db, django_user_model):
    """A page logged in through the admin login form as a Supervisors-group user."""
    user = django_user_model.objects.create_user("amina", password="s3cret-pass", is_staff=True,
                                                 first_name="Amina", last_name="Otieno")
    user.groups.add(ensure_supervisors_group())
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "amina")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")
    yield page
    context.close()


def waiting_callback(n, number, minutes_ago, calls=1):
    ticket = Ticket.objects.create(freshdesk_id=4000 + n, kind="callback", requester_number=number,
                                   callback_open=True, subject=f"Missed call from {number}: callback required")
    for i in range(calls):
        call = Call.objects.create(call_id=f"CAB{n}{i}", from_number=number, to_number="+254203893800",
                                   status="failed", failure_status="no-answer", ticket=ticket)
        Call.objects.filter(pk=call.pk).update(started_at=timezone.now() - timedelta(minutes=minutes_ago - i))
    return ticket


def test_queue_lists_a_waiting_callback_with_its_call_link(supervisor_page, live_server):
    waiting_callback(1, "+254712345678", minutes_ago=95, calls=2)
    waiting_callback(2, "+254722000111", minutes_ago=20)
    page = supervisor_page

    page.click("text=Callback queue")

    assert page.locator("h1").inner_text() == "Callback queue: 2 waiting"
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "+254712345678" in first.inner_text()
    assert "1\xa0hour" in first.locator("td.field-waiting").inner_text()
    assert first.locator("td.field-calls_from_number").inner_text() == "2"
    link = first.get_by_role("link", name="Call +254712345678")
    assert link.get_attribute("href") == "/softphone/?number=%2B254712345678&ticket=4001"
    screenshot(page, "admin-queue.png")


def test_replay_action_turns_a_failed_event_done(supervisor_page, live_server, post_webhook, run_worker,
                                                 freshdesk):
    post_webhook(signed("call.failed", "CAB300", status="no-answer"))
    freshdesk.fail_next(400, path_prefix="/api/v2/tickets", method="POST")
    run_worker()
    event = WebhookEvent.objects.get(call_id="CAB300")
    assert event.status == "failed"
    page = supervisor_page

    page.goto(f"{live_server.url}/admin/integration/webhookevent/?status__exact=failed")
    page.check(f"input[name=_selected_action][value='{event.pk}']")
    page.select_option("select[name=action]", "replay_events")
    page.click("button[name=index]")
    assert "Replaying 1 event(s)" in page.locator("ul.messagelist").inner_text()

    run_worker()  # the Celery worker's part
    page.goto(f"{live_server.url}/admin/integration/webhookevent/")
    row = page.locator("#result_list tbody tr", has_text="CAB300")
    assert row.locator("td.field-status").inner_text() == "Done"
    assert len(freshdesk.tickets) == 1


def test_call_log_shows_every_column_on_a_1280_pixel_screen(supervisor_page, live_server):
    agent = AgentPhone.objects.create(freshdesk_agent_id=701, name="Otieno Odhiambo", phone="+254711000002")
    ticket = Ticket.objects.create(freshdesk_id=12345, kind="outbound", requester_number="+254712345678")
    Call.objects.create(call_id="CAW1", direction="outbound", status="completed", from_number="+254203893800",
                        to_number="+254712345678", duration_seconds=3725, cost_kes=Decimal("186.25"),
                        agent=agent, ticket=ticket, recording_url="https://rec.example/CAW1.wav")
    Call.objects.create(call_id="CAW2", direction="inbound", status="failed", failure_status="no-answer",
                        from_number="+254712345678", to_number="+254203893800")
    page = supervisor_page

    page.goto(f"{live_server.url}/admin/integration/call/")

    results = page.locator(".results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls sideways"
    last = page.locator("#result_list thead th").last
    assert last.inner_text().strip().lower() == "recording"
    box = last.bounding_box()
    assert box["x"] + box["width"] <= 1280
    assert page.get_by_role("link", name="recording").is_visible()


def test_dashboard_draws_its_charts_without_the_internet(supervisor_page, live_server):
    now = timezone.now()
    for day in range(30):
        for n in range(day % 7 + 2):
            status = "failed" if n % 4 == 0 else "completed"
            direction = "outbound" if n % 3 == 2 else "inbound"
            call = Call.objects.create(call_id=f"CAD{day}-{n}", direction=direction, status=status,
                                       from_number="+254712345678", to_number="+254203893800",
                                       cost_kes=Decimal("2.40") if direction == "outbound" else None,
                                       answered_at=now if status == "completed" else None)
            Call.objects.filter(pk=call.pk).update(started_at=now - timedelta(days=day, hours=n))
    for n, minutes in enumerate([12, 25, 40, 55, 90, 180, 30, 18]):
        ticket = Ticket.objects.create(freshdesk_id=5000 + n, kind="callback", requester_number=f"+25471200{n:04d}")
        missed = now - timedelta(days=n * 3 + 1)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=missed, callback_done_by="Baraka",
                                                   callback_done_at=missed + timedelta(minutes=minutes))
    waiting_callback(9, "+254733000222", minutes_ago=50)
    requested = []
    page = supervisor_page
    page.on("request", lambda request: requested.append(request.url))

    page.click("text=Dashboard: last 30 days")

    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect.missed").count() > 0
    assert page.locator("#kpi-spend .figure").inner_text().startswith("KES ")
    assert all(url.startswith(live_server.url) for url in requested), requested
    screenshot(page, "dashboard.png")
