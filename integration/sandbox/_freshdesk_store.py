"""In-memory Freshdesk account: tickets, conversations, contacts, agents and groups as JSON dicts.

Records are kept exactly as Freshdesk API v2 returns them, so ``FreshdeskSandbox.tickets[1]``
is what ``GET /api/v2/tickets/1`` would answer. Ids only ever grow, even across ``reset()``,
so an id that leaks from one test into the next finds nothing instead of someone else's data;
``dump()``/``load()`` carry the records and the next ids over a restart (sandbox mode keeps
them in a file), as a real account never hands out an id twice.
Callers hold the sandbox lock around every method here.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _TextExtractor(HTMLParser):
    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Freshdesk's ``*_text`` fields: the HTML with tags stripped and entities decoded."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    text = "".join(extractor.parts)
    return re.sub(r"[ \t]*\n[\s]*", "\n", text).strip()


class FreshdeskStore:
    def __init__(self):
        self.tickets: dict[int, dict] = {}
        self.notes: dict[int, list[dict]] = {}
        self.contacts: dict[int, dict] = {}
        self.agents: dict[int, dict] = {}
        self.groups: dict[int, dict] = {}
        self.attachment_bodies: dict[int, bytes] = {}
        self._next_ids = {"ticket": 1, "contact": 101_000_001, "agent": 201_000_001, "note": 301_000_001,
                          "attachment": 401_000_001,
                          "group": 501_000_001}

    def _new_id(self, kind: str) -> int:
        new = self._next_ids[kind]
        self._next_ids[kind] = new + 1
        return new

    def clear(self) -> None:
        for table in (self.tickets, self.notes, self.contacts, self.agents, self.groups,
                      self.attachment_bodies):
            table.clear()

    # -- persistence -----------------------------------------------------------------------

    def dump(self) -> dict:
        """Everything, next ids included, as JSON-ready data."""
        return {
            "next_ids": dict(self._next_ids),
            "tickets": list(self.tickets.values()), "contacts": list(self.contacts.values()),
            "agents": list(self.agents.values()), "groups": list(self.groups.values()),
            "notes": {str(ticket_id): notes for ticket_id, notes in self.notes.items()},
            "attachments": {str(k): base64.b64encode(v).decode("ascii") for k, v in self.attachment_bodies.items()},
        }

    def load(self, data: dict) -> None:
        """Replace everything with what ``dump()`` gave; ids go on from where they were."""
        self.clear()
        self._next_ids.update({k: max(v, self._next_ids[k]) for k, v in data["next_ids"].items()})
        self.tickets.update((t["id"], t) for t in data["tickets"])
        self.contacts.update((c["id"], c) for c in data["contacts"])
        self.agents.update((a["id"], a) for a in data["agents"])
        self.groups.update((g["id"], g) for g in data.get("groups", []))
        self.notes.update((int(k), v) for k, v in data["notes"].items())
        self.attachment_bodies.update((int(k), base64.b64decode(v)) for k, v in data["attachments"].items())

    # -- contacts --------------------------------------------------------------------------

    def add_contact(self, name: str, phone=None, mobile=None, email=None, **extra) -> dict:
        now = iso(utc_now())
        contact = {
            "id": self._new_id("contact"), "name": name, "email": email, "phone": phone, "mobile": mobile,
            "twitter_id": None, "facebook_id": None, "unique_external_id": None, "active": False,
            "address": None, "company_id": None, "description": None, "job_title": None,
            "language": "en", "time_zone": "Nairobi", "tags": [], "other_emails": [],
            "custom_fields": {}, "created_at": now, "updated_at": now,
        }
        contact.update(extra)
        self.contacts[contact["id"]] = contact
        return contact

    def find_contacts(self, **criteria) -> list[dict]:
        """Contacts whose fields equal every criterion exactly (email case-insensitively)."""
        found = []
        for contact in self.contacts.values():
            if all(
                (contact.get(k) or "").lower() == v.lower() if k == "email" else contact.get(k) == v
                for k, v in criteria.items()
            ):
                found.append(contact)
        return sorted(found, key=lambda c: c["id"])

    def resolve_requester(self, data: dict) -> tuple[dict | None, str | None]:
        """The contact a ticket payload names, creating it as Freshdesk does.

        Returns ``(contact, None)`` or ``(None, field)`` when ``requester_id`` names no contact.
        ``phone`` matches a contact's ``phone`` or ``mobile`` exactly, character for character.
        """
        if data.get("requester_id") is not None:
            contact = self.contacts.get(data["requester_id"])
            return (contact, None) if contact else (None, "requester_id")
        name = data.get("name")
        if data.get("email"):
            email = data["email"]
            found = self.find_contacts(email=email)
            return (found[0] if found else self.add_contact(name or email.split("@")[0], email=email)), None
        for key in ("twitter_id", "facebook_id", "unique_external_id"):
            if data.get(key):
                found = self.find_contacts(**{key: data[key]})
                return (found[0] if found else self.add_contact(name or data[key], **{key: data[key]})), None
        phone = data["phone"]
        found = self.find_contacts(phone=phone) or self.find_contacts(mobile=phone)
        return (found[0] if found else self.add_contact(name, phone=phone)), None

    # -- agents ----------------------------------------------------------------------------

    def add_agent(self, id=None, name="Wanjiku", email=None, available=True, phone=None, mobile=None,
                  active=True, group_ids=()) -> dict:
        agent_id = int(id) if id is not None else self._new_id("agent")
        now = iso(utc_now())
        agent = {
            "id": agent_id, "available": bool(available), "available_since": now if available else None,
            "occasional": False, "signature": None, "ticket_scope": 1, "type": "support_agent",
            "group_ids": [int(g) for g in group_ids], "role_ids": [], "skill_ids": [], "focus_mode": False,
            "created_at": now, "updated_at": now, "last_active_at": None,
            "contact": {
                "active": bool(active), "email": email or f"agent{agent_id}@sandbox.example",
                "job_title": None, "language": "en", "last_login_at": None, "mobile": mobile,
                "name": name, "phone": phone, "time_zone": "Nairobi", "created_at": now, "updated_at": now,
            },
        }
        self.agents[agent_id] = agent
        return agent

    def set_agent_available(self, agent_id: int, available: bool) -> dict:
        agent = self.agents[agent_id]
        agent["available"] = bool(available)
        agent["available_since"] = iso(utc_now()) if available else None
        agent["updated_at"] = iso(utc_now())
        return agent

    # -- groups ----------------------------------------------------------------------------

    def add_group(self, id=None, name="Support", description=None, agent_ids=()) -> dict:
        """A group as the list API shows it; membership lives on the agents' ``group_ids``."""
        group_id = int(id) if id is not None else self._new_id("group")
        now = iso(utc_now())
        group = {
            "id": group_id, "name": name, "description": description, "escalate_to": None,
            "unassigned_for": "30m", "business_hour_id": None, "group_type": "support_agent_group",
            "created_at": now, "updated_at": now,
        }
        self.groups[group_id] = group
        for agent_id in agent_ids:
            self.agents[int(agent_id)]["group_ids"].append(group_id)
        return group

    def delete_group(self, group_id: int) -> None:
        """As in Freshdesk: the group goes, and with it every agent's membership."""
        del self.groups[group_id]
        for agent in self.agents.values():
            if group_id in agent["group_ids"]:
                agent["group_ids"].remove(group_id)

    def group_with_agents(self, group: dict) -> dict:
        """``GET /groups/{id}``: the listed fields plus ``agent_ids`` and ``auto_ticket_assign``."""
        members = [a["id"] for _, a in sorted(self.agents.items()) if group["id"] in a["group_ids"]]
        return {**group, "agent_ids": members, "auto_ticket_assign": False}

    def current_agent(self) -> dict:
        """``/agents/me``: the first agent, or the account admin whose key the sandbox holds."""
        if self.agents:
            return self.agents[min(self.agents)]
        now = iso(utc_now())
        return {
            "id": 1, "available": False, "available_since": None, "occasional": False, "signature": None,
            "ticket_scope": 1, "type": "support_agent", "group_ids": [], "role_ids": [], "skill_ids": [],
            "created_at": now, "updated_at": now, "last_active_at": now,
            "contact": {"active": True, "email": "admin@sandbox.example", "job_title": "Administrator",
                        "language": "en", "last_login_at": now, "mobile": None, "name": "Sandbox Admin",
                        "phone": None, "time_zone": "Nairobi", "created_at": now, "updated_at": now},
        }

    # -- tickets ---------------------------------------------------------------------------

    def create_ticket(self, data: dict, requester: dict) -> dict:
        now = utc_now()
        ticket = {
            "id": self._new_id("ticket"), "subject": data["subject"], "description": data["description"],
            "description_text": html_to_text(data["description"]), "status": data.get("status", 2),
            "priority": data.get("priority", 1), "source": data.get("source", 2), "type": data.get("type"),
            "tags": list(data.get("tags") or []), "requester_id": requester["id"],
            "responder_id": data.get("responder_id"), "group_id": data.get("group_id"),
            "company_id": data.get("company_id"), "product_id": data.get("product_id"),
            "email_config_id": data.get("email_config_id"), "cc_emails": list(data.get("cc_emails") or []),
            "fwd_emails": [], "reply_cc_emails": [], "ticket_cc_emails": [], "to_emails": None,
            "fr_escalated": False, "spam": False, "is_escalated": False,
            "due_by": data.get("due_by") or iso(now + timedelta(days=3)),
            "fr_due_by": data.get("fr_due_by") or iso(now + timedelta(days=1)),
            "custom_fields": dict(data.get("custom_fields") or {}), "attachments": [],
            "created_at": iso(now), "updated_at": iso(now),
        }
        self.tickets[ticket["id"]] = ticket
        self.notes[ticket["id"]] = []
        return ticket

    def update_ticket(self, ticket: dict, data: dict, requester: dict | None) -> dict:
        """Apply a PUT: each given field replaces the old value (``tags`` as a whole list)."""
        for key, value in data.items():
            if key in ("name", "email", "phone", "twitter_id", "facebook_id", "unique_external_id", "requester_id"):
                continue
            ticket[key] = list(value) if isinstance(value, list) else value
        if "description" in data:
            ticket["description_text"] = html_to_text(data["description"])
        if requester is not None:
            ticket["requester_id"] = requester["id"]
        ticket["updated_at"] = iso(utc_now())
        return ticket

    def add_note(self, ticket: dict, data: dict, files: list[tuple[str, str, bytes]], user_id: int) -> dict:
        now = iso(utc_now())
        attachments = []
        for name, content_type, content in files:
            attachment_id = self._new_id("attachment")
            self.attachment_bodies[attachment_id] = content
            attachments.append({
                "id": attachment_id, "name": name, "content_type": content_type, "size": len(content),
                "created_at": now, "updated_at": now,
            })
        note = {
            "id": self._new_id("note"), "body": data["body"], "body_text": html_to_text(data["body"]),
            "private": data.get("private", True), "incoming": data.get("incoming", False),
            "ticket_id": ticket["id"], "user_id": data.get("user_id", user_id), "source": 2, "category": 2,
            "support_email": None, "to_emails": [], "from_email": None, "cc_emails": [], "bcc_emails": [],
            "notified_to": list(data.get("notify_emails") or []), "attachments": attachments,
            "created_at": now, "updated_at": now,
        }
        self.notes.setdefault(ticket["id"], []).append(note)
        ticket["updated_at"] = now  # a note touches its ticket, as in Freshdesk
        return note

    # -- representations -------------------------------------------------------------------

    @staticmethod
    def listed(ticket: dict) -> dict:
        """List results leave the description out."""
        return {k: v for k, v in ticket.items() if k not in ("description", "description_text")}

    def requester_summary(self, ticket: dict) -> dict | None:
        contact = self.contacts.get(ticket["requester_id"])
        if contact is None:
            return None
        return {k: contact.get(k) for k in ("id", "name", "email", "mobile", "phone")}

    def state(self) -> dict:
        return {
            "tickets": [
                {**ticket, "notes": list(self.notes.get(ticket_id, []))}
                for ticket_id, ticket in sorted(self.tickets.items())
            ],
            "contacts": [contact for _, contact in sorted(self.contacts.items())],
            "agents": [agent for _, agent in sorted(self.agents.items())],
            "groups": [group for _, group in sorted(self.groups.items())],
        }
