"""A local stand-in for the Freshdesk API v2, for tests and the service's sandbox mode.

    with FreshdeskSandbox(api_key="sandbox-key") as fd:
        requests.post(f"{fd.base_url}/api/v2/tickets", json={...}, auth=(fd.api_key, "X"))
        assert fd.tickets[1]["tags"] == ["sautikit", "missed_call"]

It validates the way Freshdesk does (see ``_freshdesk_rules``), sends the ``X-RateLimit-*``
headers on every answer (a 429 too) and, with ``rate_limit_per_minute``, answers 429 with
``Retry-After`` beyond it (a moving 60 s window). Faults:
``fail_next`` (an error instead of the change), ``drop_after_apply`` (the change, then a dropped
connection: Freshdesk has no idempotency key, so this is how duplicate tickets are born),
``slow_create`` (a create held N seconds and stored afterwards, as during a Freshdesk incident)
and ``delay``. ``/_sandbox/`` shows the tickets to a person; ``/_sandbox/state`` gives them as JSON;
``/a/tickets/<id>``, a ticket's address in a real Freshdesk, leads to that ticket on the page.

With ``state_file`` (sandbox mode passes one under ``var/``) every change is written to that
file and read back at start, so a restarted sandbox keeps its tickets and contacts and never
hands out an id twice; tests keep everything in memory.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import os
import re
import time
from collections import deque
from pathlib import Path

from . import _freshdesk_rules as rules
from ._freshdesk_store import FreshdeskStore
from ._freshdesk_views import FreshdeskEndpoints, parse_multipart
from ._server import Request, Response, SandboxServer, html_response, json_response
from .page import render_page

# Without a configured limit the headers still appear, with a budget no test will exhaust.
UNLIMITED_TOTAL = 100_000
RATE_WINDOW_SECONDS = 60.0


class FreshdeskSandbox(FreshdeskEndpoints, SandboxServer):
    """Freshdesk API v2 on ``base_url``; data in ``tickets``, ``notes``, ``contacts``, ``agents``, ``groups``.

    Basic auth with ``api_key`` as the user name (any password), like Freshdesk. Only
    ``/api/...`` calls are logged in ``requests`` and counted against the rate limit.
    """

    def __init__(self, api_key: str = "sandbox-key", rate_limit_per_minute: int | None = None,
                 host: str = "127.0.0.1", port: int = 0, time_zone: str = "Africa/Nairobi",
                 state_file: str | Path | None = None):
        super().__init__(host, port)
        self.api_key = api_key
        self.rate_limit_per_minute = rate_limit_per_minute
        self.time_zone = time_zone  # the helpdesk's, for times shown on the page
        self._store = FreshdeskStore()
        self._hits: deque[float] = deque()
        self.state_file = Path(state_file) if state_file else None
        if self.state_file and self.state_file.exists():
            self._store.load(json.loads(self.state_file.read_text(encoding="utf-8")))

    # -- what tests look at and arrange ----------------------------------------------------

    @property
    def tickets(self) -> dict[int, dict]:
        return self._store.tickets

    @property
    def notes(self) -> dict[int, list[dict]]:
        return self._store.notes

    @property
    def contacts(self) -> dict[int, dict]:
        return self._store.contacts

    @property
    def agents(self) -> dict[int, dict]:
        return self._store.agents

    @property
    def groups(self) -> dict[int, dict]:
        return self._store.groups

    def reset(self) -> None:
        """Forget all data, the request log, faults, delays and the rate-limit window."""
        with self._lock:
            self._store.clear()
            self.requests.clear()
            self._hits.clear()
            self._save()
        self._clear_faults()

    def add_agent(self, id=None, name="Wanjiku", email=None, available=True, phone=None, mobile=None,
                  active=True, group_ids=()) -> dict:
        with self._lock:
            agent = self._store.add_agent(id, name, email, available, phone, mobile, active, group_ids)
            self._save()
            return copy.deepcopy(agent)

    def add_group(self, name: str, id=None, description=None, agent_ids=()) -> dict:
        """A Freshdesk group; ``agent_ids`` (existing agents) join it, as in Freshdesk's admin."""
        with self._lock:
            group = self._store.add_group(id, name, description, agent_ids)
            self._save()
            return copy.deepcopy(group)

    def delete_group(self, group_id: int) -> None:
        with self._lock:
            self._store.delete_group(group_id)
            self._save()

    def set_agent_available(self, agent_id: int, available: bool) -> None:
        with self._lock:
            self._store.set_agent_available(agent_id, available)
            self._save()

    def add_contact(self, name: str, phone: str | None = None, mobile: str | None = None,
                    email: str | None = None) -> dict:
        with self._lock:
            contact = self._store.add_contact(name, phone=phone, mobile=mobile, email=email)
            self._save()
            return copy.deepcopy(contact)

    def fail_next(self, status, count=1, body=None, headers=None, path_prefix="/api/v2/", method=None) -> None:
        if status == 429:
            # As Freshdesk's own 429: the limit headers too, with nothing remaining.
            headers = {"Retry-After": "60", **self._limit_headers(remaining=0), **(headers or {})}
        super().fail_next(status, count, body, headers, path_prefix, method)

    def drop_after_apply(self, count=1, path_prefix="/api/v2/tickets",
                         methods=("POST", "PUT", "PATCH", "DELETE")) -> None:
        super().drop_after_apply(count, path_prefix, methods)

    def slow_create(self, seconds: float, count: int = 1) -> None:
        """Hold the next ``count`` ticket creates ``seconds`` each, then store them anyway.

        A client whose read timeout is shorter sees a timeout, and the ticket appears later:
        what Freshdesk does during an incident, and why a create is never simply repeated.
        """
        self.hold_then_apply(seconds, count, "/api/v2/tickets", ("POST",), exact=True)

    def delay(self, path_prefix: str, seconds: float) -> None:
        """Make every request under ``path_prefix`` wait ``seconds`` first; 0 clears it."""
        self._set_delay(path_prefix, seconds)

    def state(self) -> dict:
        with self._lock:
            return copy.deepcopy(self._store.state())

    # -- SandboxServer hooks ---------------------------------------------------------------

    def should_log(self, request: Request) -> bool:
        return request.path.startswith("/api/")

    def log_entry(self, request: Request) -> dict:
        entry = super().log_entry(request)
        if request.content_type == "multipart/form-data":
            try:
                form, files = parse_multipart(request)
            except ValueError:
                form, files = {}, []
            entry["form"] = {k: v[-1] if len(v) == 1 else v for k, v in form.items()}
            entry["files"] = [{"field": f, "name": n, "content_type": t, "size": len(b)} for f, n, t, b in files]
        return entry

    def default_fault_body(self, status: int):
        if status == 429:
            return rules.RATE_LIMITED
        if status >= 500:
            return {"code": "internal_error", "message": "We're sorry, but something went wrong."}
        return {"code": "invalid_value", "message": f"Injected HTTP {status}"}

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox"):
            return self._inspect(request)
        agent_page = re.fullmatch(r"/a/tickets/(\d+)", request.path)
        if agent_page and request.method in ("GET", "HEAD"):
            return Response(302, b"", {"Location": f"/_sandbox/#ticket-{agent_page[1]}"})
        if not request.path.startswith("/api/v2/"):
            return Response(404)
        with self._lock:
            limited, headers = self._count_against_rate_limit()
            if limited:
                return json_response(429, rules.RATE_LIMITED, headers)
            if not self._authenticated(request):
                response = json_response(401, rules.INVALID_CREDENTIALS)
            else:
                response = self._route(request)
                if request.method != "GET" and response.status < 300:
                    self._save()
        response.headers.update(headers)
        return response

    def _save(self) -> None:
        """Write the whole account to ``state_file`` (atomically: a crash leaves the old one)."""
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_name(self.state_file.name + ".tmp")
        partial.write_text(json.dumps(self._store.dump()), encoding="utf-8")
        os.replace(partial, self.state_file)

    # -- plumbing --------------------------------------------------------------------------

    def _count_against_rate_limit(self) -> tuple[bool, dict[str, str]]:
        now = time.monotonic()
        while self._hits and self._hits[0] <= now - RATE_WINDOW_SECONDS:
            self._hits.popleft()
        limit = self.rate_limit_per_minute
        if limit is not None and len(self._hits) >= limit:
            retry_after = max(1, math.ceil(self._hits[0] + RATE_WINDOW_SECONDS - now))
            return True, {"Retry-After": str(retry_after), **self._limit_headers(remaining=0)}
        self._hits.append(now)
        return False, self._limit_headers()

    def _limit_headers(self, remaining=None) -> dict[str, str]:
        """Freshdesk's X-RateLimit-* headers, on every answer including a 429."""
        total = self.rate_limit_per_minute if self.rate_limit_per_minute is not None else UNLIMITED_TOTAL
        if remaining is None:
            remaining = max(total - len(self._hits), 0)
        return {
            "X-RateLimit-Total": str(total),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Used-CurrentRequest": "1",
        }

    def _authenticated(self, request: Request) -> bool:
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(self.api_key) and username == self.api_key

    # -- inspection ------------------------------------------------------------------------

    def _inspect(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/_sandbox":
            return html_response(200, render_page(self.state(), self.time_zone))
        if request.method == "GET" and path == "/_sandbox/state":
            return json_response(200, self.state())
        if request.method == "POST" and path == "/_sandbox/reset":
            self.reset()
            return json_response(200, {"reset": True})
        match = re.fullmatch(r"/_sandbox/attachments/(\d+)", path)
        if request.method == "GET" and match:
            with self._lock:
                content = self._store.attachment_bodies.get(int(match[1]))
            if content is not None:
                return Response(200, content, {"Content-Type": "application/octet-stream"})
        return Response(404)
