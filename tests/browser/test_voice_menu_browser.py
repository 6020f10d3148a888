"""A supervisor sets up the voice menu in Chromium: the inline keys, and the preview of what callers hear.

Set SAUTIDESK_SCREENSHOTS=docs to refresh docs/voice-menu.png.
"""

import pytest

from agents.models import Team
from integration.models import Menu, RoutingSettings

from .test_admin_queue import CHROMIUM, browser, screenshot, supervisor_page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no Chromium")]


def test_a_supervisor_adds_a_two_key_bilingual_menu_and_reads_what_callers_hear(supervisor_page, live_server):
    RoutingSettings.objects.create(business_hours="mon-fri 08:00-18:00")
    Team.objects.create(freshdesk_group_id=201, name="Sales", greeting_en="Connecting you to our sales team.",
                        greeting_sw="Tunakuunganisha na timu yetu ya mauzo.")
    Team.objects.create(freshdesk_group_id=202, name="Support")
    page = supervisor_page

    page.click("#content-main a:text-is('Voice menu')")
    page.click("text=Add voice menu")
    page.fill("#id_number", "0203893800")
    page.select_option("#id_default_team", label="Support")
    page.fill("#id_greeting_en", "Thank you for calling Duka Bora.")
    page.fill("#id_greeting_sw", "Karibu Duka Bora.")
    for row, (key, en, sw, team) in enumerate([("1", "sales", "mauzo", "Sales"),
                                               ("2", "customer support", "usaidizi", "Support")]):
        page.select_option(f"#id_options-{row}-key", key)
        page.fill(f"#id_options-{row}-label_en", en)
        page.fill(f"#id_options-{row}-label_sw", sw)
        page.select_option(f"#id_options-{row}-team", label=team)
    page.click("input[name=_continue]")

    assert "was added successfully" in page.locator("ul.messagelist").inner_text()
    preview = page.locator(".callers-hear").inner_text()
    assert ("“Thank you for calling Duka Bora. For sales, press 1. For customer support, press 2. "
            "Kwa Kiswahili, bonyeza 9.”") in preview
    assert "“Karibu Duka Bora. Kwa mauzo, bonyeza 1. Kwa usaidizi, bonyeza 2.”" in preview
    assert "“Tunakuunganisha na timu yetu ya mauzo.”" in preview
    assert "closed (open mon-fri 08:00-18:00) or a holiday" in preview
    assert Menu.objects.get().number == "+254203893800"
    screenshot(page, "voice-menu.png")
