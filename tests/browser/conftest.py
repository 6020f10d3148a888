"""Browser tests: Playwright driving Debian's Chromium against a live server."""

import pytest
from django.db import connections

from integration.models import RoutingSettings

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def agent(make_agent):
    """An available agent with a login, and calls routed around the clock."""
    RoutingSettings.objects.create(business_hours="24/7")
    return make_agent(username="wanjiku", freshdesk_agent_id=501, phone="+254711000001")


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; our ORM calls here are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()
            # Inside Playwright's event loop Django's connections are per context, not per
            # thread: the ORM calls made there opened a connection of their own. Close it, or
            # the test database cannot be dropped at the end.
            connections.close_all()
