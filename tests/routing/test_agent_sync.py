"""Copying Freshdesk's agents onto AgentPhone, against the Freshdesk stand-in."""

import pytest
import responses
from responses import matchers
from django.core.management import CommandError, call_command

from agents.models import AgentPhone
from agents.sync import sync_agents
from agents.tasks import refresh_availability
from integration.clients.freshdesk import FreshdeskError

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_agents_are_created_with_their_numbers_in_e164(freshdesk):
    freshdesk.add_agent(id=1, name="Wanjiku", email="wanjiku@example.co.ke", mobile="0711 000 001")
    freshdesk.add_agent(id=2, name="Otieno", phone="254722000002", available=False)

    result = sync_agents()

    assert (result.created, result.updated, result.without_phone) == (2, 0, 0)
    wanjiku, otieno = AgentPhone.objects.order_by("freshdesk_agent_id")
    assert (wanjiku.name, wanjiku.email, wanjiku.freshdesk_phone, wanjiku.available) == (
        "Wanjiku", "wanjiku@example.co.ke", "+254711000001", True)
    assert (otieno.freshdesk_phone, otieno.available) == ("+254722000002", False)
    assert wanjiku.availability_updated_at is not None


def test_mobile_is_preferred_to_phone_and_an_unreadable_one_is_skipped(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001", phone="+254202000000")
    freshdesk.add_agent(id=2, mobile="not a number", phone="0722 000 002")

    sync_agents()

    phones = dict(AgentPhone.objects.values_list("freshdesk_agent_id", "freshdesk_phone"))
    assert phones == {1: "+254711000001", 2: "+254722000002"}


def test_more_than_a_hundred_agents_are_read_across_pages(freshdesk):
    for n in range(1, 151):
        freshdesk.add_agent(id=n, name=f"Agent {n}", mobile=f"+254711{n:06d}")

    result = sync_agents()

    assert result.created == 150
    assert AgentPhone.objects.count() == 150
    assert AgentPhone.objects.get(freshdesk_agent_id=150).freshdesk_phone == "+254711000150"
    pages = [r["query"].get("page", "1") for r in freshdesk.requests if r["path"] == "/api/v2/agents"]
    assert pages == ["1", "2"]


def test_availability_changes_are_picked_up_and_our_own_fields_kept(freshdesk, django_user_model):
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001", available=True)
    sync_agents()
    user = django_user_model.objects.create_user("wanjiku")
    AgentPhone.objects.filter(freshdesk_agent_id=1).update(phone="+254733000001", user=user)
    freshdesk.set_agent_available(1, False)

    result = sync_agents()

    assert (result.created, result.updated) == (0, 1)
    agent = AgentPhone.objects.get()
    assert agent.available is False
    assert agent.phone == "+254733000001"  # the supervisor's number is never overwritten
    assert agent.user == user
    assert agent.dial_number == "+254733000001"


def test_a_second_sync_with_nothing_new_changes_nothing(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001")
    sync_agents()

    result = sync_agents()

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_agents_without_any_phone_are_counted_by_name(freshdesk):
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001")
    freshdesk.add_agent(id=2, name="Kamau")
    freshdesk.add_agent(id=3, name="Akinyi")
    sync_agents()
    AgentPhone.objects.filter(freshdesk_agent_id=3).update(phone="+254711000003")

    result = sync_agents()

    assert result.without_phone == 1
    assert result.names_without_phone == ["Kamau"]


def test_deactivated_and_removed_agents_are_no_longer_routable(freshdesk):
    freshdesk.add_agent(id=1, name="Deactivated", mobile="+254711000001", active=False)
    freshdesk.add_agent(id=2, name="Leaving", mobile="+254711000002")
    sync_agents()
    del freshdesk.agents[2]  # deleted in Freshdesk: it becomes a contact

    result = sync_agents()

    assert AgentPhone.objects.get(freshdesk_agent_id=1).is_active is False
    assert AgentPhone.objects.get(freshdesk_agent_id=2).available is False
    assert result.gone == 1


def test_refresh_keeps_the_last_known_availability_when_freshdesk_fails(freshdesk, caplog):
    freshdesk.add_agent(id=1, mobile="+254711000001", available=True)
    refresh_availability()
    freshdesk.set_agent_available(1, False)
    freshdesk.fail_next(503, path_prefix="/api/v2/agents")

    refresh_availability()

    assert AgentPhone.objects.get().available is True
    assert "keeping the last known" in caplog.text


@responses.activate
def test_a_failure_on_a_later_page_writes_nothing(settings):
    settings.FRESHDESK_BASE_URL = "https://sautidesk-test.freshdesk.com"
    url = "https://sautidesk-test.freshdesk.com/api/v2/agents"
    AgentPhone.objects.create(freshdesk_agent_id=1, name="Agent 1", freshdesk_phone="+254711000001",
                              available=True)
    first_page = [{"id": n, "available": False, "contact": {"name": f"Agent {n}", "active": True}}
                  for n in range(1, 101)]
    responses.get(url, json=first_page, match=[matchers.query_param_matcher({"per_page": "100"})],
                  headers={"Link": f'<{url}?page=2&per_page=100>; rel="next"'})
    responses.get(url, status=503, json={"code": "internal_error", "message": "down"},
                  match=[matchers.query_param_matcher({"page": "2", "per_page": "100"})])

    refresh_availability()

    assert list(AgentPhone.objects.values_list("freshdesk_agent_id", "available")) == [(1, True)]


def test_command_prints_what_it_did(freshdesk, capsys):
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001")
    freshdesk.add_agent(id=2, name="Kamau")

    call_command("sync_agents")

    out = capsys.readouterr().out
    assert "2 created" in out
    assert "1 without a phone (Kamau)" in out


def test_command_fails_with_a_message_when_freshdesk_is_down(freshdesk):
    freshdesk.fail_next(503, path_prefix="/api/v2/agents")

    with pytest.raises(CommandError, match="Freshdesk agents or groups could not be read"):
        call_command("sync_agents")


@responses.activate
def test_an_agent_list_that_is_not_json_changes_nothing(settings):
    settings.FRESHDESK_BASE_URL = "https://sautidesk-test.freshdesk.com"
    AgentPhone.objects.create(freshdesk_agent_id=1, name="Agent 1", freshdesk_phone="+254711000001",
                              available=True)
    responses.get("https://sautidesk-test.freshdesk.com/api/v2/agents", body="<html>Bad gateway</html>",
                  content_type="text/html")

    with pytest.raises(FreshdeskError, match="not JSON"):
        sync_agents()
    refresh_availability()

    assert AgentPhone.objects.get().available is True


def test_an_empty_agent_list_does_not_make_everyone_unavailable(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001", available=True)
    sync_agents()
    freshdesk.agents.clear()

    result = sync_agents()

    assert result.gone == 0
    assert AgentPhone.objects.get().available is True
