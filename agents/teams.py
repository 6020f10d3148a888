"""Copy Freshdesk's groups onto Team rows, and each agent's `group_ids` onto their teams.

    result = sync_teams()                          # TeamSyncResult(created=2, ...)
    set_memberships({201: {5001, 5002}, 202: set()})   # Freshdesk agent id -> group ids

Groups change seldom, so `sync_teams` runs every 10 minutes (beat), from the admin and
the sync command, and whenever an agent turns up in a group we do not know yet. Who is in
which team comes with the agent list every 20 s (`agents.sync`), so a supervisor moving
an agent between groups in Freshdesk is followed as fast as their availability. As with
agents, everything is fetched before anything is written, and each write is one short
statement: routing never waits on a slow Freshdesk. The supervisors' own fields (hours,
messages, busy action) are never written here.
"""

import logging
from dataclasses import dataclass

from django.utils import timezone

from integration.clients.freshdesk import FreshdeskClient, FreshdeskError

from .models import AgentPhone, Team

logger = logging.getLogger(__name__)


@dataclass
class TeamSyncResult:
    created: int = 0
    renamed: int = 0
    gone: int = 0

    def __str__(self):
        text = f"{self.created} team(s) created, {self.renamed} renamed"
        if self.gone:
            text += f", {self.gone} no longer in Freshdesk"
        return text


def sync_teams(client=None):
    """Upsert a Team per Freshdesk group; raises FreshdeskError before writing anything."""
    client = client or FreshdeskClient.from_settings(priority=True)  # routing's data goes first
    try:
        groups = client.list_groups()
    except ValueError as err:  # a 200 whose body is not JSON
        raise FreshdeskError("Freshdesk's group list was not JSON") from err
    fetched = {}
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("id"), int):
            fetched[group["id"]] = str(group.get("name") or f"Group {group['id']}")[:150]
    now = timezone.now()
    rows = {team.freshdesk_group_id: team for team in Team.objects.all()}
    new = [Team(freshdesk_group_id=gid, name=name, synced_at=now) for gid, name in fetched.items()
           if gid not in rows]
    changed = []
    for gid, name in fetched.items():
        row = rows.get(gid)
        if row is not None and (row.name != name or not row.in_freshdesk):
            row.name, row.in_freshdesk = name, True
            changed.append(row)
    # A concurrent sync may have created the same teams: update rather than fail.
    Team.objects.bulk_create(new, update_conflicts=True, unique_fields=["freshdesk_group_id"],
                             update_fields=["name", "in_freshdesk", "synced_at"])
    Team.objects.bulk_update(changed, ["name", "in_freshdesk"])
    Team.objects.filter(freshdesk_group_id__in=fetched).update(synced_at=now)
    gone = [row.pk for gid, row in rows.items() if gid not in fetched and row.in_freshdesk]
    if not fetched and gone:
        # As with agents: an empty list where there were groups is more likely a fault.
        logger.warning("freshdesk listed no groups, teams kept")
        gone = []
    Team.objects.filter(pk__in=gone).update(in_freshdesk=False)
    AgentPhone.teams.through.objects.filter(team_id__in=gone).delete()
    result = TeamSyncResult(created=len(new), renamed=len(changed), gone=len(gone))
    logger.info("teams synced", extra={"teams_created": result.created, "teams_renamed": result.renamed,
                                       "teams_gone": result.gone})
    return result


def unknown_groups(group_ids):
    """The group ids among `group_ids` that no Team row has yet."""
    known = Team.objects.filter(freshdesk_group_id__in=group_ids).values_list("freshdesk_group_id", flat=True)
    return set(group_ids) - set(known)


def set_memberships(groups_by_agent):
    """Make each listed agent's teams exactly their Freshdesk groups that we know as teams.

    `groups_by_agent` maps Freshdesk agent ids to group ids. Agents not listed keep theirs
    (an agent deleted in Freshdesk is made unavailable by the agent sync, which is enough).
    """
    all_groups = {gid for gids in groups_by_agent.values() for gid in gids}
    teams = dict(Team.objects.filter(freshdesk_group_id__in=all_groups, in_freshdesk=True)
                 .values_list("freshdesk_group_id", "pk"))
    agents = dict(AgentPhone.objects.filter(freshdesk_agent_id__in=groups_by_agent)
                  .values_list("freshdesk_agent_id", "pk"))
    wanted = {(agents[aid], teams[gid]) for aid, gids in groups_by_agent.items() if aid in agents
              for gid in gids if gid in teams}
    membership = AgentPhone.teams.through
    current = set(membership.objects.filter(agentphone_id__in=agents.values())
                  .values_list("agentphone_id", "team_id"))
    membership.objects.bulk_create(
        [membership(agentphone_id=agent, team_id=team) for agent, team in wanted - current],
        ignore_conflicts=True,
    )
    for agent, team in current - wanted:
        membership.objects.filter(agentphone_id=agent, team_id=team).delete()
    return len(wanted - current) + len(current - wanted)
