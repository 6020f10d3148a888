"""Copy Freshdesk's agents onto AgentPhone rows: who they are, their phone, availability, teams.

    result = sync_agents()   # SyncResult(created=2, updated=1, ...)

Routing reads only these rows, never Freshdesk (it must answer while the caller waits),
so this runs every 20 s from `agents.tasks.refresh_availability`, and on demand from the
admin and `manage.py sync_agents`. The whole agent list is fetched (paginated through
the `Link` header) before anything is written, and the writes are a few statements that
each hold their row locks only while they run: a slow or failing Freshdesk never holds a
lock routing waits on, and a failed fetch leaves the last known availability as it was.

The supervisor-set `phone` and routing's `last_routed_at` are never written here. Each
agent's `group_ids` become their teams (`agents.teams`); a group we have not seen yet
is fetched first, and if that fails, availability is still refreshed.
Freshdesk keeps `available` meaningful only for agents in groups with automatic ticket
assignment (https://developers.freshdesk.com/api/#agents).
"""

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from integration.clients.freshdesk import FreshdeskClient, FreshdeskError
from integration.phones import InvalidNumber, to_e164

from .models import AgentPhone
from .teams import set_memberships, sync_teams, unknown_groups

logger = logging.getLogger(__name__)

# Fields Freshdesk owns; everything else on the row is ours.
SYNCED_FIELDS = ("name", "email", "freshdesk_phone", "available", "is_active")


@dataclass
class SyncResult:
    """What one sync did; `str()` is the sentence the admin and the command show."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    without_phone: int = 0
    names_without_phone: list[str] = field(default_factory=list)
    gone: int = 0  # on our list, no longer a Freshdesk agent: made unavailable

    def __str__(self):
        text = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.without_phone} without a phone")
        if self.names_without_phone:
            text += f" ({', '.join(self.names_without_phone)})"
        if self.gone:
            text += f", {self.gone} no longer in Freshdesk (made unavailable)"
        return text


def sync_agents(client=None):
    """Upsert AgentPhone from Freshdesk's agent list; raises FreshdeskError before writing anything.

    `client` is a FreshdeskClient (default: from settings, with priority: routing's data must
    not wait behind a burst of ticket creation, see integration/clients/budget.py).
    """
    client = client or FreshdeskClient.from_settings(priority=True)
    try:
        agents = client.list_agents()
    except ValueError as err:  # a 200 whose body is not JSON (a proxy's error page, say)
        raise FreshdeskError("Freshdesk's agent list was not JSON") from err
    fetched, groups = {}, {}
    for agent in agents:
        fields = _fields(agent)
        if fields is not None:
            agent_id = fields.pop("freshdesk_agent_id")
            fetched[agent_id] = fields
            groups[agent_id] = _group_ids(agent)
    _learn_new_groups(client, groups)
    now = timezone.now()
    result = SyncResult()
    # No transaction around the writes: each statement below holds its row locks only
    # while it runs, so a routing claiming an agent never waits on this process being
    # slow in between (and cannot deadlock with it). Every agent's row stands alone, so
    # a routing that reads between two statements sees nothing inconsistent.
    rows = {row.freshdesk_agent_id: row for row in AgentPhone.objects.all()}
    new, changed = [], []
    for agent_id, fields in fetched.items():
        row = rows.get(agent_id)
        if row is None:
            new.append(AgentPhone(freshdesk_agent_id=agent_id, availability_updated_at=now, **fields))
            continue
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            changed.append(row)
    # A concurrent sync may have created the same agents: update rather than fail.
    AgentPhone.objects.bulk_create(
        new, update_conflicts=True, unique_fields=["freshdesk_agent_id"],
        update_fields=[*SYNCED_FIELDS, "availability_updated_at"],
    )
    # Only Freshdesk's fields: the supervisor's phone and routing's last_routed_at stay.
    AgentPhone.objects.bulk_update(changed, SYNCED_FIELDS)
    AgentPhone.objects.filter(freshdesk_agent_id__in=fetched).update(availability_updated_at=now)
    gone = [row.pk for agent_id, row in rows.items() if agent_id not in fetched and row.available]
    if not fetched and gone:
        # An account has at least the admin whose key we use: an empty list is a fault,
        # and taking it literally would send every caller to voicemail.
        logger.warning("freshdesk listed no agents, availability kept")
        gone = []
    AgentPhone.objects.filter(pk__in=gone).update(available=False, availability_updated_at=now)
    set_memberships(groups)
    result.created, result.updated = len(new), len(changed)
    result.unchanged = len(fetched) - len(new) - len(changed)
    result.gone = len(gone)
    for agent_id, fields in fetched.items():
        row = rows.get(agent_id)
        if fields["is_active"] and not fields["freshdesk_phone"] and not (row and row.phone):
            result.without_phone += 1
            result.names_without_phone.append(fields["name"])
    # `created` is a LogRecord attribute: the keys say agents_ to stay clear of them.
    logger.info("agents synced", extra={
        "agents_created": result.created, "agents_updated": result.updated,
        "agents_unchanged": result.unchanged, "agents_without_phone": result.without_phone,
        "agents_gone": result.gone,
        "agents_available": sum(1 for fields in fetched.values() if fields["available"]),
    })
    return result


def _fields(agent):
    """Our row's Freshdesk-owned fields from one Agents API entry; None for an entry without id."""
    if not isinstance(agent, dict) or not isinstance(agent.get("id"), int):
        logger.warning("freshdesk agent without id skipped")
        return None
    contact = agent.get("contact") if isinstance(agent.get("contact"), dict) else {}
    name = str(contact.get("name") or contact.get("email") or f"Agent {agent['id']}")
    return {
        "freshdesk_agent_id": agent["id"],
        "name": name[:150],
        "email": str(contact.get("email") or "")[:254],
        "freshdesk_phone": _phone(agent["id"], contact),
        "available": agent.get("available") is True,
        "is_active": contact.get("active", True) is not False,
    }


def _group_ids(agent):
    ids = agent.get("group_ids")
    if not isinstance(ids, list):
        return set()
    return {g for g in ids if isinstance(g, int) and not isinstance(g, bool)}


def _learn_new_groups(client, groups):
    """Fetch the group list when an agent is in a group we have no team for yet.

    A failure here costs only the new team's membership until the next run: the
    availability the agents' rows carry matters more to callers than a new team.
    """
    if not unknown_groups({gid for gids in groups.values() for gid in gids}):
        return
    try:
        sync_teams(client)
    except FreshdeskError as err:
        logger.warning("new freshdesk groups not fetched, their teams wait for the next sync",
                       extra={"error": type(err).__name__, "freshdesk_status": err.status})


def _phone(agent_id, contact):
    """contact.mobile, else contact.phone, in E.164; "" when neither reads as a number."""
    for name in ("mobile", "phone"):
        value = contact.get(name)
        if not value:
            continue
        try:
            return to_e164(value)
        except InvalidNumber:
            logger.warning("freshdesk agent phone unreadable",
                           extra={"freshdesk_agent_id": agent_id, "field": name})
    return ""
