"""A local stand-in for the Sautikit REST API (contract §5), for tests and sandbox mode.

    with SautikitSandbox(api_key="sandbox-key") as sk:
        requests.post(f"{sk.base_url}/v1/calls", headers={"Authorization": f"Bearer {sk.api_key}"},
                      json={"from": "+254203893800", "to": ["+254711000001"]})
        assert sk.calls[0]["to"] == ["+254711000001"]

``POST /v1/calls`` checks the bearer key and the body (``from`` E.164, ``to`` a non-empty list
of E.164 numbers, optional http(s) ``voice_callback_url`` and ``metadata`` object; any other
field is refused so a misspelt one fails loudly) and answers 201 with the queued call.
``recording_url()`` publishes bytes at ``/recordings/<name>``, standing in for the presigned
recording links of ``recording.ready`` webhooks (no auth, like a presigned URL).
"""

from __future__ import annotations

import copy
import re
import secrets
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ._server import Request, Response, SandboxServer, json_response

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CALL_FIELDS = {"from", "to", "voice_callback_url", "metadata"}


class SautikitSandbox(SandboxServer):
    """Sautikit on ``base_url``: placed calls in ``calls``, every request in ``requests``."""

    def __init__(self, api_key: str = "sandbox-key", host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.api_key = api_key
        self.calls: list[dict] = []
        self._placed: dict[str, dict] = {}  # call_id -> the call as the API describes it
        self._recordings: dict[str, bytes] = {}

    def reset(self) -> None:
        """Forget placed calls, the request log, faults and the delay (recordings stay)."""
        with self._lock:
            self.calls.clear()
            self._placed.clear()
            self.requests.clear()
        self._clear_faults()

    def fail_next(self, status, count=1, body=None, headers=None, path_prefix="/v1/", method=None) -> None:
        super().fail_next(status, count, body, headers, path_prefix, method)

    def delay(self, seconds: float) -> None:
        """Make every request wait ``seconds`` before it is answered; 0 clears it."""
        self._set_delay("/", seconds)

    def recording_url(self, name: str = "rec1.mp3", size: int = 4096) -> str:
        """Serve ``size`` bytes of fake MP3 at ``/recordings/<name>`` and return that URL."""
        header = b"ID3\x04\x00\x00\x00\x00\x00\x00"
        filler = bytes(i % 251 for i in range(max(size - len(header), 0)))
        with self._lock:
            self._recordings[name] = (header + filler)[:size]
        return f"{self.base_url}/recordings/{name}"

    def default_fault_body(self, status: int):
        return {"error": f"Sautikit is unavailable (HTTP {status})" if status >= 500 else f"HTTP {status}"}

    # -- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/recordings/"):
            return self._recording(request)
        if request.path == "/v1/calls":
            if request.method != "POST":
                return json_response(405, {"error": "Method not allowed."}, {"Allow": "POST"})
            return self._authorized(request) or self._place_call(request)
        match = re.fullmatch(r"/v1/calls/(CA[0-9a-f]+)", request.path)
        if match and request.method == "GET":
            return self._authorized(request) or self._show_call(match[1])
        return json_response(404, {"error": "Not found."})

    def _authorized(self, request: Request) -> Response | None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and self.api_key and secrets.compare_digest(token.strip(), self.api_key):
            return None
        return json_response(401, {"error": "Invalid or missing API key."}, {"WWW-Authenticate": "Bearer"})

    def _place_call(self, request: Request) -> Response:
        if request.content_type != "application/json":
            return _bad("Content-Type must be application/json.", None, status=415)
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return _bad("Body is not valid JSON.", None)
        if not isinstance(body, dict):
            return _bad("Body must be a JSON object.", None)
        problem = _call_problem(body)
        if problem:
            return _bad(*problem)
        call = {
            "call_id": "CA" + secrets.token_hex(16),
            "status": "queued",
            "direction": "outbound",
            "from": body["from"],
            "to": list(body["to"]),
            "voice_callback_url": body.get("voice_callback_url"),
            "metadata": body.get("metadata") or {},
            "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with self._lock:
            self.calls.append({**copy.deepcopy(body), "call_id": call["call_id"]})
            self._placed[call["call_id"]] = call
        return json_response(201, call)

    def _show_call(self, call_id: str) -> Response:
        with self._lock:
            found = self._placed.get(call_id)
        return json_response(200, found) if found else json_response(404, {"error": "Not found."})

    def _recording(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return json_response(405, {"error": "Method not allowed."}, {"Allow": "GET, HEAD"})
        with self._lock:
            content = self._recordings.get(request.path[len("/recordings/"):])
        if content is None:
            return json_response(404, {"error": "Not found."})
        return Response(200, content, {"Content-Type": "audio/mpeg"})


def _call_problem(body: dict) -> tuple[str, str] | None:
    """``(message, field)`` for the first thing wrong with a ``/v1/calls`` body, else None."""
    for name in body:
        if name not in CALL_FIELDS:
            return f"Unknown field '{name}'.", name
    if not isinstance(body.get("from"), str) or not E164.match(body["from"]):
        return "'from' must be an E.164 number such as +254203893800.", "from"
    to = body.get("to")
    if not isinstance(to, list) or not to:
        return "'to' must be a non-empty list of E.164 numbers.", "to"
    for number in to:
        if not isinstance(number, str) or not E164.match(number):
            return f"'to' contains {number!r}, which is not an E.164 number.", "to"
    url = body.get("voice_callback_url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return "'voice_callback_url' must be an http or https URL.", "voice_callback_url"
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        return "'metadata' must be a JSON object.", "metadata"
    return None


def _bad(message: str, field: str | None, status: int = 400) -> Response:
    return json_response(status, {"error": message, "field": field})
