"""A local stand-in for the Sautikit REST API (contract §5), for tests and sandbox mode.

    with SautikitSandbox(api_key="sandbox-key") as sk:
        requests.post(f"{sk.base_url}/v1/calls", headers={"Authorization": f"Bearer {sk.api_key}"},
                      json={"from": "+254203893800", "to": ["+254711000001"]})
        assert sk.calls[0]["to"] == ["+254711000001"]

``POST /v1/calls`` checks the bearer key and the body (``from`` E.164, ``to`` a non-empty list
of E.164 numbers, optional http(s) ``voice_callback_url`` and ``metadata`` object; any other
field is refused so a misspelt one fails loudly) and answers 201 with the queued call.

Once ``play_calls(script, webhook_secret)`` is called, each placed call with a
``voice_callback_url`` is then played back to it as signed webhooks (``_sautikit_calls``):
answered, completed, recording ready; or failed with ``no-answer``. Without it (the default,
and after ``reset()``) the stand-in stays silent, as most tests want.

Recordings: ``/recordings/<call id>.wav`` plays a short generated tone for any call, standing
in for the presigned links of ``recording.ready`` (no auth, like a presigned URL);
``recording_url()`` publishes other bytes under a name of the test's choosing.
"""

from __future__ import annotations

import copy
import re
import secrets
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ._recording import recording_wav
from ._sautikit_calls import CallScript, Playback
from ._server import Request, Response, SandboxServer, json_response

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CALL_FIELDS = {"from", "to", "voice_callback_url", "metadata"}
GENERATED_RECORDING = re.compile(r"^[A-Za-z0-9_-]{1,64}\.wav$")


class SautikitSandbox(SandboxServer):
    """Sautikit on ``base_url``: placed calls in ``calls``, every request in ``requests``,
    every webhook the stand-in delivered in ``deliveries``."""

    def __init__(self, api_key: str = "sandbox-key", host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.api_key = api_key
        self.calls: list[dict] = []
        self.deliveries: list[dict] = []
        self._placed: dict[str, dict] = {}  # call_id -> the call as the API describes it
        self._recordings: dict[str, bytes] = {}
        self._script: CallScript | None = None
        self._webhook_secret = ""
        self._playbacks: list[Playback] = []

    def play_calls(self, script: CallScript | None = CallScript(), webhook_secret: str = "") -> None:
        """Play each call placed from now on to its ``voice_callback_url``; ``None`` stops it."""
        if script is not None and not webhook_secret:
            raise ValueError("a webhook secret is needed to sign the calls' webhooks")
        with self._lock:
            self._script, self._webhook_secret = script, webhook_secret

    def reset(self) -> None:
        """Forget placed calls, deliveries, the request log, faults, the delay and the call
        script, and stop calls being played (recordings stay)."""
        with self._lock:
            self.calls.clear()
            self.deliveries.clear()
            self._placed.clear()
            self.requests.clear()
            self._script, self._webhook_secret = None, ""
            playbacks, self._playbacks = self._playbacks, []
        for playback in playbacks:
            playback.cancel()
        self._clear_faults()

    def stop(self) -> None:
        with self._lock:
            playbacks, self._playbacks = self._playbacks, []
        for playback in playbacks:
            playback.cancel()
        super().stop()

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
            if self._script is not None and call["voice_callback_url"]:
                recording = f"{self.base_url}/recordings/{call['call_id']}.wav"
                playback = Playback(copy.deepcopy(call), self._script, self._webhook_secret, recording,
                                    self._played)
                self._playbacks = [p for p in self._playbacks if p.thread.is_alive()] + [playback]
                playback.start()
        return json_response(201, call)

    def _played(self, call_id: str, status: str | None, delivery: dict | None) -> None:
        """A playback's progress: the call's new status, or one webhook delivery attempt."""
        with self._lock:
            if status is not None and call_id in self._placed:
                self._placed[call_id]["status"] = status
            if delivery is not None:
                self.deliveries.append({"call_id": call_id, **delivery})

    def _show_call(self, call_id: str) -> Response:
        with self._lock:
            found = self._placed.get(call_id)
        return json_response(200, found) if found else json_response(404, {"error": "Not found."})

    def _recording(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return json_response(405, {"error": "Method not allowed."}, {"Allow": "GET, HEAD"})
        name = request.path[len("/recordings/"):]
        with self._lock:
            content = self._recordings.get(name)
        if content is not None:
            return Response(200, content, {"Content-Type": "audio/mpeg"})
        if GENERATED_RECORDING.match(name):
            return Response(200, recording_wav(), {"Content-Type": "audio/wav"})
        return json_response(404, {"error": "Not found."})


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
