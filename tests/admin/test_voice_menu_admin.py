"""A supervisor sets up teams and a bilingual voice menu in the admin alone, and calls follow it."""

import html
import re
import time

import pytest
from django.utils import timezone

from agents.models import Team
from integration.models import Menu, MenuOption, RoutingSettings
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)

OUR_NUMBER = "+254203893800"


def page_text(response):
    """The page as a supervisor reads it: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def team_form(**fields):
    data = {"business_hours": "", "holidays": "", "busy_action": "", "overflow_team": ""}
    for name in ("greeting", "closed_message", "busy_message"):
        data[f"{name}_en"] = data[f"{name}_sw"] = ""
    return {**data, **fields}


def menu_form(options, **fields):
    data = {
        "number": "020 389 3800", "enabled": "on", "language": "en-KE", "language_key": "9",
        "default_team": "", "greeting_en": "Thank you for calling Duka Bora.",
        "greeting_sw": "Karibu Duka Bora.", "retry_message_en": "Sorry, we did not get your choice.",
        "retry_message_sw": "Samahani, hatukupata chaguo lako.",
        "options-TOTAL_FORMS": str(len(options)), "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "1000",
    }
    for n, option in enumerate(options):
        defaults = {"label_en": "", "label_sw": "", "action": "team", "team": "", "message_en": "",
                    "message_sw": ""}
        data.update({f"options-{n}-{k}": v for k, v in {**defaults, **option}.items()})
    return {**data, **fields}


@pytest.fixture
def freshdesk_account(freshdesk):
    """Duka Bora's Freshdesk: Wanjiku sells, Otieno and Amina support."""
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001")
    freshdesk.add_agent(id=2, name="Otieno", mobile="+254711000002")
    freshdesk.add_agent(id=3, name="Amina", mobile="+254711000003", available=False)
    freshdesk.add_group("Sales", id=71, agent_ids=[1])
    freshdesk.add_group("Support", id=72, agent_ids=[2, 3])
    return freshdesk


def test_a_supervisor_sets_up_a_two_team_bilingual_menu_and_a_call_follows_it(
        supervisor_client, freshdesk_account, post_webhook, run_worker):
    client = supervisor_client
    RoutingSettings.objects.create(business_hours="24/7")

    # 1. Teams: one click brings the Freshdesk groups and who is in them.
    assert "Sync from Freshdesk" in client.get("/admin/agents/team/").content.decode()
    synced = client.post("/admin/agents/agentphone/sync/", {"next": "teams"}, follow=True)
    assert synced.redirect_chain[-1][0] == "/admin/agents/team/"
    text = page_text(synced)
    assert "Synced from Freshdesk: 3 created" in text and "2 team(s) created" in text
    sales, support = Team.objects.get(name="Sales"), Team.objects.get(name="Support")

    # 2. Each team says who the caller is reaching, in both languages; Sales overflows to Support.
    response = client.post(f"/admin/agents/team/{sales.pk}/change/", team_form(
        greeting_en="Connecting you to our sales team.", greeting_sw="Tunakuunganisha na timu ya mauzo.",
        busy_action="overflow", overflow_team=support.pk))
    assert response.status_code == 302, page_text(response)
    response = client.post(f"/admin/agents/team/{support.pk}/change/", team_form(
        greeting_en="Connecting you to customer support.",
        greeting_sw="Tunakuunganisha na huduma kwa wateja."))
    assert response.status_code == 302, page_text(response)

    # 3. The menu: 1 sales, 2 support, 9 for Kiswahili; Support takes whoever chooses nothing.
    response = client.post("/admin/integration/menu/add/", menu_form([
        {"key": "1", "label_en": "sales", "label_sw": "mauzo", "team": sales.pk},
        {"key": "2", "label_en": "customer support", "label_sw": "usaidizi", "team": support.pk},
    ], default_team=support.pk))
    assert response.status_code == 302, page_text(response)
    menu = Menu.objects.get()
    assert menu.number == OUR_NUMBER

    # 4. The menu's page shows what callers will hear, in both languages, branch by branch.
    preview = page_text(client.get(f"/admin/integration/menu/{menu.pk}/change/"))
    assert ("“Thank you for calling Duka Bora. For sales, press 1. For customer support, press 2. "
            "Kwa Kiswahili, bonyeza 9.”") in preview
    assert "“Karibu Duka Bora. Kwa mauzo, bonyeza 1. Kwa usaidizi, bonyeza 2.”" in preview
    assert "Press 2: usaidizi → Support" in preview
    assert "“Tunakuunganisha na huduma kwa wateja.” (Kiswahili)" in preview
    assert "rings the longest-idle free agent of Support (2 with a phone, 1 available now)" in preview
    assert "Sales is tried first" not in preview and "Support is tried first" in preview

    # 5. A caller rings, switches to Kiswahili, presses 2, and Otieno's phone rings.
    signed_at = int(time.time()) - 10
    first = post_webhook(signed("call.routing", "CAADMIN1", to=OUR_NUMBER, signed_at=signed_at))
    assert first.json()["actions"][0]["getDigits"]["say"]["language"] == "en-KE"
    swahili = post_webhook(signed("call.routing", "CAADMIN1", to=OUR_NUMBER, digits="9",
                                  signed_at=signed_at + 1))
    assert swahili.json()["actions"][0]["getDigits"]["say"]["text"].startswith("Karibu Duka Bora.")
    answer = post_webhook(signed("call.routing", "CAADMIN1", to=OUR_NUMBER, digits="2",
                                 signed_at=signed_at + 2))
    assert answer.json() == {"actions": [
        {"say": {"text": "Tunakuunganisha na huduma kwa wateja.", "language": "sw-KE"}},
        {"dial": {"to": "+254711000002", "callerId": OUR_NUMBER, "timeout": 25}},
    ]}

    # 6. Otieno misses it: the callback ticket is in Support's group, with the choice tagged.
    post_webhook(signed("call.failed", "CAADMIN1", status="no-answer"))
    run_worker()
    ticket = next(iter(freshdesk_account.tickets.values()))
    assert ticket["group_id"] == 72
    assert ticket["tags"][-2:] == ["menu_2", "lang_sw"]


def test_the_menu_refuses_what_callers_could_not_follow(supervisor_client, teams):
    sales, _ = teams
    response = supervisor_client.post("/admin/integration/menu/add/", menu_form([
        {"key": "9", "label_en": "sales", "team": sales.pk},
        {"key": "2", "label_en": "", "label_sw": "", "team": ""},
        {"key": "3", "label_en": "opening hours", "action": "message"},
    ], number="not a number"))

    text = page_text(response)
    assert response.status_code == 200
    assert "“not a number” is not a phone number" in text
    assert "Key 9 is the language key" in text
    assert "Say what the key is for, in English, Kiswahili or both." in text
    assert "Choose the team this key puts callers through to." in text
    assert "Write the message callers hear." in text
    assert not Menu.objects.exists()


def test_a_menu_with_no_key_must_be_switched_off(supervisor_client):
    response = supervisor_client.post("/admin/integration/menu/add/", menu_form([]))

    assert "Add at least one key, or switch the menu off." in page_text(response)
    off = supervisor_client.post("/admin/integration/menu/add/", menu_form([], enabled=""))
    assert off.status_code == 302


def test_the_same_key_twice_is_refused(supervisor_client, teams):
    response = supervisor_client.post("/admin/integration/menu/add/", menu_form([
        {"key": "1", "label_en": "sales", "team": teams[0].pk},
        {"key": "1", "label_en": "support", "team": teams[1].pk},
    ]))

    assert response.status_code == 200
    assert not MenuOption.objects.exists()


def test_a_team_refuses_unreadable_hours_and_an_overflow_to_nowhere_or_itself(supervisor_client, teams):
    sales, _ = teams
    url = f"/admin/agents/team/{sales.pk}/change/"

    text = page_text(supervisor_client.post(url, team_form(business_hours="weekdays 8 to 5",
                                                           busy_action="overflow")))
    assert "Not readable: 'weekdays 8 to 5'" in text
    assert "Choose the team to ring when this one has nobody free." in text
    text = page_text(supervisor_client.post(url, team_form(busy_action="overflow", overflow_team=sales.pk)))
    assert "A team cannot overflow into itself." in text


def test_teams_are_not_added_or_deleted_in_the_admin(supervisor_client, teams):
    assert supervisor_client.get("/admin/agents/team/add/").status_code == 403
    page = page_text(supervisor_client.get(f"/admin/agents/team/{teams[0].pk}/change/"))
    assert "Nobody: add agents to this group in Freshdesk." in page
    assert "Delete" not in page


def test_the_routing_settings_page_previews_the_whole_desk_in_both_languages(supervisor_client, rules):
    page = page_text(supervisor_client.get(f"/admin/integration/routingsettings/{rules.pk}/change/"))

    assert f"“{rules.busy_message_en}” (English)" in page
    assert f"“{rules.busy_message_sw}” (Kiswahili)" in page
    assert "rings the longest-idle free agent of the whole desk" in page


def _callback(n, number, team=None, open_=True):
    from integration.models import Call, Ticket

    ticket = Ticket.objects.create(freshdesk_id=7000 + n, kind="callback", requester_number=number,
                                   callback_open=open_, team=team)
    Call.objects.create(call_id=f"CAQ{n}", from_number=number, to_number=OUR_NUMBER, status="failed",
                        team=team, ticket=ticket)
    return ticket


def test_the_callback_queue_shows_and_filters_by_team(supervisor_client, teams):
    from tests.admin.conftest import cell, row_of

    sales, support = teams
    _callback(1, "+254711111111", sales)
    _callback(2, "+254722222222", support)
    _callback(3, "+254733333333")

    page = supervisor_client.get("/admin/integration/ticket/").content.decode()
    assert cell(row_of(page, "+254711111111"), "team") == "Sales"
    assert cell(row_of(page, "+254733333333"), "team") == "-"

    filtered = supervisor_client.get(f"/admin/integration/ticket/?team__id__exact={support.pk}")
    text = page_text(filtered)
    assert "+254722222222" in text
    assert "+254711111111" not in text and "+254733333333" not in text


def test_the_dashboard_shows_one_teams_calls_and_callbacks(supervisor_client, teams):
    from decimal import Decimal

    from integration.admin.dashboard import last_days
    from integration.models import Call

    sales, support = teams
    _callback(1, "+254711111111", sales)
    _callback(2, "+254722222222", support)
    ticket = _callback(3, "+254722222223", support, open_=False)
    Call.objects.create(call_id="CAQ-back", direction="outbound", status="completed", ticket=ticket,
                        from_number=OUR_NUMBER, to_number="+254722222223", cost_kes=Decimal("3.00"))
    # Answered (a completed inbound call nobody answered is a voicemail: missed).
    Call.objects.create(call_id="CAQ-answered", status="completed", team=sales, answered_at=timezone.now(),
                        from_number="+254744444444", to_number=OUR_NUMBER)

    whole, sales_only, support_only = last_days(), last_days(team=sales), last_days(team=support)

    assert (whole.missed, whole.inbound, whole.outbound, whole.waiting_now) == (3, 1, 1, 2)
    assert (sales_only.missed, sales_only.inbound, sales_only.outbound, sales_only.waiting_now) == (1, 1, 0, 1)
    assert (support_only.missed, support_only.outbound, support_only.spend_kes) == (2, 1, Decimal("3.00"))
    page = supervisor_client.get(f"/admin/dashboard/?team={support.pk}").content.decode()
    assert "Dashboard: last 30 days, Support" in page
    assert f'href="/admin/integration/ticket/?team__id__exact={support.pk}">1</a>' in page
    assert f'<option value="{support.pk}" selected>Support</option>' in page
