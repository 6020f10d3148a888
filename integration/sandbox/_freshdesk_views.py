"""The Freshdesk API v2 endpoints of ``FreshdeskSandbox``, one method per route.

A mixin so that ``freshdesk.py`` keeps the public, test-facing surface (lifecycle, fixtures,
faults, auth and rate limit) and this module keeps what each endpoint answers. Handlers run
with the sandbox lock held and return ``Response`` objects; 404s have an empty body, as
Freshdesk's ``head 404`` does.
"""

from __future__ import annotations

import mimetypes
import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from urllib.parse import urlencode

from . import _freshdesk_rules as rules
from ._freshdesk_store import FreshdeskStore, utc_now
from ._server import Request, Response, json_response

LIST_TICKETS_MAX_PAGE = 300
DEFAULT_LIST_WINDOW = timedelta(days=30)

_ROUTES = [
    (re.compile(r"^/api/v2/tickets$"), {"GET": "_list_tickets", "POST": "_create_ticket"}),
    (re.compile(r"^/api/v2/tickets/(\d+)$"), {"GET": "_show_ticket", "PUT": "_update_ticket"}),
    (re.compile(r"^/api/v2/tickets/(\d+)/notes$"), {"POST": "_add_note"}),
    (re.compile(r"^/api/v2/tickets/(\d+)/conversations$"), {"GET": "_conversations"}),
    (re.compile(r"^/api/v2/contacts$"), {"GET": "_list_contacts"}),
    (re.compile(r"^/api/v2/contacts/(\d+)$"), {"GET": "_show_contact"}),
    (re.compile(r"^/api/v2/agents$"), {"GET": "_list_agents"}),
    (re.compile(r"^/api/v2/agents/me$"), {"GET": "_show_me"}),
    (re.compile(r"^/api/v2/agents/(\d+)$"), {"GET": "_show_agent"}),
    (re.compile(r"^/api/v2/groups$"), {"GET": "_list_groups"}),
    (re.compile(r"^/api/v2/groups/(\d+)$"), {"GET": "_show_group"}),
]


class FreshdeskEndpoints:
    """Route handlers; the host class provides ``_store``, ``tickets``, ``notes`` and ``base_url``."""

    _store: FreshdeskStore

    def _route(self, request: Request) -> Response:
        for pattern, methods in _ROUTES:
            match = pattern.match(request.path)
            if match:
                if request.method not in methods:
                    allowed = sorted(methods)
                    return json_response(405, rules.method_not_allowed(request.method, allowed),
                                         {"Allow": ", ".join(allowed)})
                return getattr(self, methods[request.method])(request, *map(int, match.groups()))
        return Response(404)

    def _json_body(self, request: Request) -> tuple[dict | None, Response | None]:
        if request.content_type != "application/json":
            return None, json_response(415, rules.invalid_content_type(request.headers.get("Content-Type")))
        try:
            data = request.json()
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            return None, json_response(400, rules.INVALID_JSON)
        return data, None

    def _invalid(self, errors: list[dict]) -> Response:
        return json_response(400, rules.validation_failed(errors))

    def _unknown_contact(self, field: str) -> Response:
        return self._invalid([rules.field_error(field, "absent_in_db", resource="contact", attribute=field)])

    def _page(self, request: Request, items: list, page: int, per_page: int) -> Response:
        """One page of ``items`` with Freshdesk's ``Link: <…>; rel="next"`` when more remain."""
        start = (page - 1) * per_page
        headers = {}
        if len(items) > start + per_page:
            query = urlencode({**request.query, "page": page + 1, "per_page": per_page})
            headers["Link"] = f'<{self.base_url}{request.path}?{query}>; rel="next"'
        return json_response(200, items[start:start + per_page], headers)

    # -- tickets ---------------------------------------------------------------------------

    def _create_ticket(self, request: Request) -> Response:
        data, error = self._json_body(request)
        if error:
            return error
        errors = rules.validate_ticket(data, creating=True)
        if errors:
            return self._invalid(errors)
        if data.get("group_id") is not None and data["group_id"] not in self._store.groups:
            return self._invalid([rules.field_error("group_id", "absent_in_db", resource="group",
                                                    attribute="group_id")])
        requester, bad_field = self._store.resolve_requester(data)
        if bad_field:
            return self._unknown_contact(bad_field)
        ticket = self._store.create_ticket(data, requester)
        return json_response(201, ticket, {"Location": f"{self.base_url}/api/v2/tickets/{ticket['id']}"})

    def _show_ticket(self, request: Request, ticket_id: int) -> Response:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return Response(404)
        errors = rules.unknown_params(request.query, {"include"})
        includes = [i for i in request.query.get("include", "").split(",") if i]
        allowed = ("conversations", "requester", "company", "stats")
        if any(i not in allowed for i in includes):
            errors.append(rules.field_error("include", "not_included", list=",".join(allowed)))
        if errors:
            return self._invalid(errors)
        body = dict(ticket)
        if "conversations" in includes:
            body["conversations"] = self.notes.get(ticket_id, [])[:10]
        if "requester" in includes:
            body["requester"] = self._store.requester_summary(ticket)
        if "company" in includes:
            body["company"] = None
        if "stats" in includes:
            body["stats"] = {"agent_responded_at": None, "requester_responded_at": None,
                             "first_responded_at": None, "status_updated_at": ticket["updated_at"],
                             "reopened_at": None, "resolved_at": None, "closed_at": None, "pending_since": None}
        return json_response(200, body)

    def _update_ticket(self, request: Request, ticket_id: int) -> Response:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return Response(404)
        data, error = self._json_body(request)
        if error:
            return error
        if not data:
            return json_response(400, rules.MISSING_PARAMS)
        errors = rules.validate_ticket(data, creating=False)
        if errors:
            return self._invalid(errors)
        requester = None
        if any(data.get(f) not in (None, "") for f in rules.REQUESTER_FIELDS):
            requester, bad_field = self._store.resolve_requester(data)
            if bad_field:
                return self._unknown_contact(bad_field)
        return json_response(200, self._store.update_ticket(ticket, data, requester))

    def _list_tickets(self, request: Request) -> Response:
        query = request.query
        allowed = {"filter", "requester_id", "email", "company_id", "updated_since", "order_by", "order_type",
                   "per_page", "page", "include"}
        errors = rules.unknown_params(query, allowed)
        page, per_page = rules.page_params(query, errors)
        if page > LIST_TICKETS_MAX_PAGE:
            errors.append(rules.field_error("page", "tickets_page_invalid", max=LIST_TICKETS_MAX_PAGE))
        for name in ("requester_id", "company_id"):
            if name in query and not query[name].isdigit():
                errors.append(rules.field_error(name, "datatype", "datatype_mismatch", type="Positive Integer"))
        since = rules.parse_timestamp(query["updated_since"]) if "updated_since" in query else None
        if "updated_since" in query and since is None:
            errors.append(rules.field_error("updated_since", "invalid_date", accepted="combined date and time ISO8601"))
        choices = {"order_by": ("created_at", "due_by", "updated_at", "status"), "order_type": ("asc", "desc"),
                   "filter": ("new_and_my_open", "watching", "spam", "deleted"),
                   "include": ("description", "requester", "stats")}
        for name, values in choices.items():
            if name in query and not all(v in values for v in query[name].split(",")):
                errors.append(rules.field_error(name, "not_included", list=",".join(values)))
        if errors:
            return self._invalid(errors)

        tickets = list(self.tickets.values())
        if "requester_id" in query:
            tickets = [t for t in tickets if t["requester_id"] == int(query["requester_id"])]
        if "email" in query:
            ids = {c["id"] for c in self._store.find_contacts(email=query["email"])}
            tickets = [t for t in tickets if t["requester_id"] in ids]
        if "company_id" in query:
            tickets = [t for t in tickets if t["company_id"] == int(query["company_id"])]
        if since is not None:
            tickets = [t for t in tickets if rules.parse_timestamp(t["updated_at"]) >= since]
        else:  # Freshdesk lists only tickets created in the last 30 days unless updated_since is given
            cutoff = utc_now() - DEFAULT_LIST_WINDOW
            tickets = [t for t in tickets if rules.parse_timestamp(t["created_at"]) >= cutoff]
        wanted = query.get("filter")
        if wanted == "new_and_my_open":
            tickets = [t for t in tickets if t["status"] == 2]
        elif wanted in ("watching", "spam", "deleted"):
            tickets = []
        order_by = query.get("order_by", "created_at")
        tickets.sort(key=lambda t: (t[order_by], t["id"]), reverse=query.get("order_type", "desc") == "desc")
        includes = query.get("include", "").split(",")
        listed = []
        for ticket in tickets:
            item = dict(ticket) if "description" in includes else self._store.listed(ticket)
            if "requester" in includes:
                item["requester"] = self._store.requester_summary(ticket)
            listed.append(item)
        return self._page(request, listed, page, per_page)

    # -- conversations ---------------------------------------------------------------------

    def _add_note(self, request: Request, ticket_id: int) -> Response:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return Response(404)
        files: list[tuple[str, str, bytes]] = []
        if request.content_type == "multipart/form-data":
            try:
                form, parts = parse_multipart(request)
            except ValueError:
                return json_response(400, {"code": "invalid_multipart",
                                           "message": "Multipart data is not properly formatted."})
            data, errors = rules.form_to_note(form)
            for field_name, filename, content_type, content in parts:
                if field_name in ("attachments[]", "attachments"):
                    files.append((filename, content_type, content))
                else:
                    errors.append(rules.field_error(field_name, "invalid_field", "invalid_field"))
            errors += rules.validate_note(data, multipart=True)
        else:
            data, error = self._json_body(request)
            if error:
                return error
            errors = rules.validate_note(data, multipart=False)
        if errors:
            return self._invalid(errors)
        note = self._store.add_note(ticket, data, files, self._store.current_agent()["id"])
        return json_response(201, note)

    def _conversations(self, request: Request, ticket_id: int) -> Response:
        if ticket_id not in self.tickets:
            return Response(404)
        errors = rules.unknown_params(request.query, {"page", "per_page"})
        page, per_page = rules.page_params(request.query, errors)
        if errors:
            return self._invalid(errors)
        notes = sorted(self.notes.get(ticket_id, []), key=lambda n: (n["created_at"], n["id"]))
        return self._page(request, notes, page, per_page)

    # -- contacts and agents ---------------------------------------------------------------

    def _list_contacts(self, request: Request) -> Response:
        filters = {"email", "mobile", "phone", "company_id"}
        errors = rules.unknown_params(request.query, filters | {"page", "per_page", "state", "updated_since"})
        page, per_page = rules.page_params(request.query, errors)
        if errors:
            return self._invalid(errors)
        criteria = {k: v for k, v in request.query.items() if k in filters - {"company_id"}}
        contacts = self._store.find_contacts(**criteria)
        if "company_id" in request.query:
            contacts = [c for c in contacts if str(c["company_id"]) == request.query["company_id"]]
        return self._page(request, contacts, page, per_page)

    def _show_contact(self, request: Request, contact_id: int) -> Response:
        contact = self.contacts.get(contact_id)
        return json_response(200, contact) if contact else Response(404)

    def _list_agents(self, request: Request) -> Response:
        errors = rules.unknown_params(request.query, {"email", "mobile", "phone", "state", "page", "per_page"})
        page, per_page = rules.page_params(request.query, errors)
        state = request.query.get("state")
        if state is not None and state not in ("fulltime", "occasional"):
            errors.append(rules.field_error("state", "not_included", list="fulltime,occasional"))
        if errors:
            return self._invalid(errors)
        agents = [a for _, a in sorted(self.agents.items())]
        for key in ("email", "mobile", "phone"):
            if key in request.query:
                agents = [a for a in agents if a["contact"][key] == request.query[key]]
        if state is not None:
            agents = [a for a in agents if a["occasional"] == (state == "occasional")]
        return self._page(request, agents, page, per_page)

    def _show_me(self, request: Request) -> Response:
        return json_response(200, self._store.current_agent())

    def _show_agent(self, request: Request, agent_id: int) -> Response:
        agent = self.agents.get(agent_id)
        return json_response(200, agent) if agent else Response(404)

    def _list_groups(self, request: Request) -> Response:
        errors = rules.unknown_params(request.query, {"page", "per_page"})
        page, per_page = rules.page_params(request.query, errors)
        if errors:
            return self._invalid(errors)
        return self._page(request, [g for _, g in sorted(self._store.groups.items())], page, per_page)

    def _show_group(self, request: Request, group_id: int) -> Response:
        group = self._store.groups.get(group_id)
        return json_response(200, self._store.group_with_agents(group)) if group else Response(404)


def parse_multipart(request: Request):
    """Text fields as ``{name: [values]}`` and files as ``[(field, filename, type, bytes)]``."""
    head = f"Content-Type: {request.headers.get('Content-Type')}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise ValueError("not multipart")
    form: dict[str, list[str]] = {}
    files = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise ValueError("part without a name")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            content_type = part.get("Content-Type") and part.get_content_type()
            content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            files.append((name, filename, content_type, payload))
        else:
            form.setdefault(name, []).append(payload.decode(part.get_content_charset() or "utf-8"))
    return form, files
