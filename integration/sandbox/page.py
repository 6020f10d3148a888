"""The read-only page at ``/_sandbox/`` of the Freshdesk stand-in.

It lets a person running the service in sandbox mode see what SautiDesk did to "Freshdesk":
tickets newest first with requester phone, group, tags and status, and each ticket's notes.
Everything shown comes from API callers, so every value is HTML-escaped.
"""

from __future__ import annotations

from html import escape

STATUS_NAMES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY_NAMES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE_NAMES = {
    1: "Email", 2: "Portal", 3: "Phone", 5: "Twitter", 6: "Facebook", 7: "Chat", 9: "Feedback widget",
    10: "Outbound email",
}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2b36; max-width: 70rem; }
h1 { font-size: 1.4rem; } .muted { color: #6b7c8a; }
article { border: 1px solid #cfd7df; border-radius: 6px; padding: .8rem 1rem; margin: 0 0 1rem; }
article h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
.tag { background: #e5f2fd; border-radius: 3px; padding: 0 .35rem; margin-right: .25rem; font-size: .85rem; }
.note { border-left: 3px solid #f5d9a8; background: #fffaf1; padding: .4rem .7rem; margin: .5rem 0;
        white-space: pre-wrap; }
.note.public { border-color: #a8d5f5; background: #f3f9fe; }
dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0; font-size: .9rem; }
dt { color: #6b7c8a; }
.description { margin: .4rem 0; }
"""


def _e(value) -> str:
    return escape("" if value is None else str(value))


def render_page(state: dict) -> str:
    """HTML for a ``FreshdeskSandbox.state()`` snapshot."""
    contacts = {c["id"]: c for c in state["contacts"]}
    tickets = sorted(state["tickets"], key=lambda t: (t["created_at"], t["id"]), reverse=True)
    groups = {g["id"]: g["name"] for g in state.get("groups", [])}
    articles = "\n".join(_ticket(t, contacts.get(t["requester_id"], {}), groups) for t in tickets)
    agents = ", ".join(
        f"{_e(a['contact']['name'])} ({'available' if a['available'] else 'away'})" for a in state["agents"]
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Freshdesk sandbox</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Freshdesk sandbox</h1>"
        f"<p class='muted'>{len(tickets)} ticket(s), {len(contacts)} contact(s). Agents: {agents or 'none'}. "
        "Raw data: <a href='/_sandbox/state'>/_sandbox/state</a></p>"
        f"{articles or '<p>No tickets yet.</p>'}"
        "</body></html>"
    )


def _ticket(ticket: dict, requester: dict, groups: dict) -> str:
    tags = "".join(f"<span class='tag'>{_e(tag)}</span>" for tag in ticket.get("tags") or []) or "—"
    phone = requester.get("phone") or requester.get("mobile")
    notes = "".join(_note(note) for note in ticket.get("notes") or [])
    return (
        f"<article id='ticket-{_e(ticket['id'])}'>"
        f"<h2>#{_e(ticket['id'])} {_e(ticket['subject'])}</h2><dl>"
        f"<dt>Requester</dt><dd>{_e(requester.get('name'))} {_e(phone)}</dd>"
        f"<dt>Status</dt><dd>{_e(STATUS_NAMES.get(ticket['status'], ticket['status']))}</dd>"
        f"<dt>Priority</dt><dd>{_e(PRIORITY_NAMES.get(ticket['priority'], ticket['priority']))}</dd>"
        f"<dt>Source</dt><dd>{_e(SOURCE_NAMES.get(ticket['source'], ticket['source']))}</dd>"
        f"<dt>Group</dt><dd>{_e(groups.get(ticket.get('group_id'), ticket.get('group_id')) or '—')}</dd>"
        f"<dt>Tags</dt><dd>{tags}</dd>"
        f"<dt>Created</dt><dd>{_e(ticket['created_at'])}</dd></dl>"
        f"<div class='muted description'>{_e(ticket.get('description_text'))}</div>"
        f"{notes}</article>"
    )


def _note(note: dict) -> str:
    kind = "private note" if note.get("private") else "public note"
    files = ", ".join(f"{_e(a['name'])} ({_e(a['size'])} bytes)" for a in note.get("attachments") or [])
    attached = f"<div class='muted'>Attachments: {files}</div>" if files else ""
    return (
        f"<div class='note{'' if note.get('private') else ' public'}'>"
        f"<div class='muted'>{kind}, {_e(note['created_at'])}</div>{_e(note.get('body_text'))}{attached}</div>"
    )
