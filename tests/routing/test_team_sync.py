"""Freshdesk groups become teams, and each agent's group_ids their teams, against the stand-in."""

import pytest

from agents.models import AgentPhone, Team
from agents.sync import sync_agents
from agents.tasks import refresh_teams
from agents.teams import sync_teams

pytestmark = pytest.mark.django_db(transaction=True)


def teams_of(agent_id):
    return sorted(AgentPhone.objects.get(freshdesk_agent_id=agent_id).teams.values_list("name", flat=True))


def test_groups_become_teams_and_agents_join_theirs(freshdesk):
    freshdesk.add_agent(id=1, name="Wanjiku", mobile="+254711000001")
    freshdesk.add_agent(id=2, name="Otieno", mobile="+254711000002")
    freshdesk.add_group("Sales", id=71, agent_ids=[1])
    freshdesk.add_group("Support", id=72, agent_ids=[1, 2])

    result = sync_teams()
    sync_agents()

    assert (result.created, result.renamed, result.gone) == (2, 0, 0)
    assert list(Team.objects.values_list("freshdesk_group_id", "name")) == [(71, "Sales"), (72, "Support")]
    assert teams_of(1) == ["Sales", "Support"]
    assert teams_of(2) == ["Support"]


def test_an_agent_in_a_group_not_yet_known_brings_the_group_list_in(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001")
    freshdesk.add_group("Sales", id=71, agent_ids=[1])

    sync_agents()  # the availability refresh alone, no team sync before it

    assert teams_of(1) == ["Sales"]
    assert [r["path"] for r in freshdesk.requests].count("/api/v2/groups") == 1
    freshdesk.requests.clear()
    sync_agents()
    assert "/api/v2/groups" not in [r["path"] for r in freshdesk.requests]  # known now: not fetched again


def test_moving_an_agent_between_groups_is_followed_by_the_next_availability_refresh(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001")
    freshdesk.add_group("Sales", id=71, agent_ids=[1])
    freshdesk.add_group("Support", id=72)
    sync_teams()
    sync_agents()

    freshdesk.agents[1]["group_ids"] = [72]
    sync_agents()

    assert teams_of(1) == ["Support"]


def test_renamed_and_deleted_groups_are_followed_and_supervisor_fields_kept(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001")
    freshdesk.add_group("Sales", id=71, agent_ids=[1])
    freshdesk.add_group("Support", id=72, agent_ids=[1])
    sync_teams()
    sync_agents()
    Team.objects.filter(freshdesk_group_id=71).update(business_hours="mon-fri 08:00-17:00",
                                                      greeting_sw="Tunakuunganisha na timu ya mauzo.")
    freshdesk.groups[71]["name"] = "Mauzo / Sales"
    freshdesk.delete_group(72)

    result = refresh_teams()

    assert result == {"created": 0, "renamed": 1, "gone": 1}
    sales = Team.objects.get(freshdesk_group_id=71)
    assert (sales.name, sales.business_hours, sales.greeting_sw) == (
        "Mauzo / Sales", "mon-fri 08:00-17:00", "Tunakuunganisha na timu ya mauzo.")
    support = Team.objects.get(freshdesk_group_id=72)
    assert support.in_freshdesk is False
    assert str(support) == "Support (no longer in Freshdesk)"
    assert teams_of(1) == ["Mauzo / Sales"]


def test_a_failing_group_list_still_refreshes_availability(freshdesk, caplog):
    freshdesk.add_agent(id=1, mobile="+254711000001", available=False)
    freshdesk.add_group("Sales", id=71, agent_ids=[1])
    freshdesk.fail_next(503, path_prefix="/api/v2/groups")

    sync_agents()

    assert AgentPhone.objects.get().available is False
    assert teams_of(1) == []
    assert "new freshdesk groups not fetched" in caplog.text
    sync_agents()  # next run: the group list answers
    assert teams_of(1) == ["Sales"]


def test_team_refresh_keeps_the_teams_when_freshdesk_fails_or_lists_none(freshdesk, caplog):
    freshdesk.add_group("Sales", id=71)
    sync_teams()
    freshdesk.fail_next(500, path_prefix="/api/v2/groups")

    assert refresh_teams() is None
    freshdesk.delete_group(71)
    assert refresh_teams() == {"created": 0, "renamed": 0, "gone": 0}

    assert Team.objects.get().in_freshdesk is True
    assert "teams not refreshed" in caplog.text and "freshdesk listed no groups" in caplog.text


def test_odd_group_ids_from_freshdesk_are_ignored(freshdesk):
    freshdesk.add_agent(id=1, mobile="+254711000001")
    freshdesk.add_group("Sales", id=71)
    freshdesk.agents[1]["group_ids"] = [71, "72", None, True]

    sync_agents()

    assert teams_of(1) == ["Sales"]
