"""`manage.py simulate_call menu`: a simulated caller follows the voice menu end to end.

The command talks HTTP to a running SautiDesk (here the test live server) and the Freshdesk
stand-in; Celery runs eagerly in the server's thread, standing in for the worker.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.models import Team
from integration.models import Menu, MenuOption, RoutingSettings
from sautidesk.celery import app
from tests.factories import SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager_worker():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def desk(freshdesk, eager_worker):
    """The sandbox's demo account, synced, with the menu a supervisor would set up."""
    freshdesk.add_agent(id=101, name="Wanjiku Kamau", mobile="+254711000001")
    freshdesk.add_agent(id=102, name="Otieno Odhiambo", mobile="+254711000002")
    freshdesk.add_group("Sales", id=201, agent_ids=[101])
    freshdesk.add_group("Support", id=202, agent_ids=[102])
    call_command("sync_agents", stdout=StringIO())
    RoutingSettings.objects.create(business_hours="24/7")
    menu = Menu.objects.create(number="+254203893800", default_team=Team.objects.get(name="Support"))
    for key, en, sw, team in (("1", "sales", "mauzo", "Sales"), ("2", "customer support", "usaidizi", "Support")):
        MenuOption.objects.create(menu=menu, key=key, label_en=en, label_sw=sw, team=Team.objects.get(name=team))
    return freshdesk


def simulate(live_server, *args, **options):
    out = StringIO()
    call_command("simulate_call", "menu", *args, url=live_server.url, secret=SECRET, wait=10, stdout=out,
                 **options)
    return out.getvalue()


def test_pressing_2_reaches_support_and_logs_the_call_in_its_group(desk, live_server):
    output = simulate(live_server, press="2")

    assert ("caller hears (en-KE): “Thank you for calling. For sales, press 1. For customer support, "
            "press 2. Kwa Kiswahili, bonyeza 9.”") in output
    assert "Caller presses 2" in output and "rings +254711000002" in output
    ticket = next(iter(desk.tickets.values()))
    assert f"Ticket #{ticket['id']}: Inbound call from +254712345678" in output
    assert "team: Support (Freshdesk group 202); menu choice: 2; language: en-KE" in output
    assert (ticket["group_id"], ticket["tags"]) == (202, ["sautikit", "inbound_call", "menu_2", "lang_en"])


def test_kiswahili_then_1_missed_leaves_a_callback_for_sales(desk, live_server):
    output = simulate(live_server, press="91", missed=True)

    assert "caller hears (sw-KE): “Karibu, na asante kwa kutupigia simu. Kwa mauzo, bonyeza 1." in output
    assert "rings +254711000001" in output
    ticket = next(iter(desk.tickets.values()))
    assert "Missed call from +254712345678: callback required" in output
    assert (ticket["group_id"], ticket["tags"][-2:]) == (201, ["menu_1", "lang_sw"])


def test_without_a_menu_the_story_says_what_to_do(freshdesk, live_server, eager_worker):
    with pytest.raises(CommandError, match="No voice menu answers \\+254203893800"):
        simulate(live_server, press="2")
