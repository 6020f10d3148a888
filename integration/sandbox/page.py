"""The read-only page at ``/_sandbox/`` of the Freshdesk stand-in.

It lets a person running the service in sandbox mode see what SautiDesk did to "Freshdesk":
tickets newest first with requester, group, tags and status, and each ticket's notes, their links
clickable as in Freshdesk. Times are shown in the helpdesk's time zone, with the zone, as
Freshdesk's own pages do (the API keeps UTC). Everything shown comes from API callers, so text
is escaped and the HTML of descriptions and notes is reduced to a few harmless tags.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

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
article:target { border-color: #2c5cc5; box-shadow: 0 0 0 2px #c9d8f7; }
article h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
.tag { background: #e5f2fd; border-radius: 3px; padding: 0 .35rem; margin-right: .25rem; font-size: .85rem; }
.note { border-left: 3px solid #f5d9a8; background: #fffaf1; padding: .4rem .7rem; margin: .5rem 0; }
.note.public { border-color: #a8d5f5; background: #f3f9fe; }
.note p, .description p { margin: .2rem 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0; font-size: .9rem; }
dt { color: #6b7c8a; }
.description { margin: .4rem 0; }
"""


def _e(value) -> str:
    return escape("" if value is None else str(value))


def local_time(stamp: str | None, zone: ZoneInfo) -> str:
    """An API timestamp (``2026-12-03T07:01:54Z``) as ``2026-12-03 10:01 EAT``."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def render_page(state: dict, time_zone: str = "Africa/Nairobi") -> str:
    """HTML for a ``FreshdeskSandbox.state()`` snapshot."""
    zone = ZoneInfo(time_zone)
    contacts = {c["id"]: c for c in state["contacts"]}
    tickets = sorted(state["tickets"], key=lambda t: (t["created_at"], t["id"]), reverse=True)
    groups = {g["id"]: g["name"] for g in state.get("groups", [])}
    articles = "\n".join(_ticket(t, contacts.get(t["requester_id"], {}), groups, zone) for t in tickets)
    agents = ", ".join(
        f"{_e(a['contact']['name'])} ({'available' if a['available'] else 'away'})" for a in state["agents"]
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Freshdesk sandbox</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Freshdesk sandbox</h1>"
        f"<p class='muted'>{len(tickets)} ticket(s), {len(contacts)} contact(s). Agents: {agents or 'none'}. "
        f"Times in {_e(time_zone)}. Raw data: <a href='/_sandbox/state'>/_sandbox/state</a></p>"
        f"{articles or '<p>No tickets yet.</p>'}"
        "</body></html>"
    )


def requester_text(requester: dict) -> str:
    """The requester's name, and their number unless the name already says it."""
    name = requester.get("name") or ""
    phone = requester.get("phone") or requester.get("mobile") or ""
    return f"{name} · {phone}" if name and phone and phone not in name else name or phone


def _ticket(ticket: dict, requester: dict, groups: dict, zone: ZoneInfo) -> str:
    tags = "".join(f"<span class='tag'>{_e(tag)}</span>" for tag in ticket.get("tags") or []) or "—"
    notes = "".join(_note(note, zone) for note in ticket.get("notes") or [])
    return (
        f"<article id='ticket-{_e(ticket['id'])}'>"
        f"<h2>#{_e(ticket['id'])} {_e(ticket['subject'])}</h2><dl>"
        f"<dt>Requester</dt><dd>{_e(requester_text(requester))}</dd>"
        f"<dt>Status</dt><dd>{_e(STATUS_NAMES.get(ticket['status'], ticket['status']))}</dd>"
        f"<dt>Priority</dt><dd>{_e(PRIORITY_NAMES.get(ticket['priority'], ticket['priority']))}</dd>"
        f"<dt>Source</dt><dd>{_e(SOURCE_NAMES.get(ticket['source'], ticket['source']))}</dd>"
        f"<dt>Group</dt><dd>{_e(groups.get(ticket.get('group_id'), ticket.get('group_id')) or '—')}</dd>"
        f"<dt>Tags</dt><dd>{tags}</dd>"
        f"<dt>Created</dt><dd>{_e(local_time(ticket['created_at'], zone))}</dd></dl>"
        f"<div class='muted description'>{safe_html(ticket.get('description') or '')}</div>"
        f"{notes}</article>"
    )


def _note(note: dict, zone: ZoneInfo) -> str:
    kind = "private note" if note.get("private") else "public note"
    files = ", ".join(f"{_e(a['name'])} ({_e(a['size'])} bytes)" for a in note.get("attachments") or [])
    attached = f"<div class='muted'>Attachments: {files}</div>" if files else ""
    return (
        f"<div class='note{'' if note.get('private') else ' public'}'>"
        f"<div class='muted'>{kind}, {_e(local_time(note['created_at'], zone))}</div>"
        f"{safe_html(note.get('body') or '')}{attached}</div>"
    )


class _SafeHTML(HTMLParser):
    """Keeps a few formatting tags and http(s) links; everything else becomes escaped text."""

    KEPT = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open_links = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.KEPT:
            self.out.append(f"<{tag}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.out.append(f"<a href=\"{escape(href)}\" target=\"_blank\" rel=\"noopener noreferrer\">")
                self.open_links += 1

    def handle_endtag(self, tag):
        if tag in self.KEPT and tag != "br":
            self.out.append(f"</{tag}>")
        elif tag == "a" and self.open_links:
            self.out.append("</a>")
            self.open_links -= 1

    def handle_data(self, data):
        self.out.append(escape(data))


def safe_html(markup: str) -> str:
    parser = _SafeHTML()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out) + "</a>" * parser.open_links
