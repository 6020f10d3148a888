"""The life of a placed call, played back to its ``voice_callback_url`` as Sautikit would.

Real Sautikit reports an outbound call with signed webhooks to the URL given when it was
placed (contract §5): ``call.answered``, then ``call.completed`` with the duration and
``recording.ready``; or ``call.failed`` with the reason when nobody picked up. The stand-in
does the same on a background thread, on a ``CallScript`` that says how the call goes.

The signature is computed here, independently of SautiDesk's ``integration.intake.signature``: this is
Sautikit's side of the contract, and the tests check both sides against the same vectors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

logger = logging.getLogger(__name__)

FAILURE_STATUSES = ("no-answer", "busy", "failed", "rejected")
# Sautikit retries a delivery that got no 2xx; the stand-in tries this many times in all.
DELIVERY_ATTEMPTS = 4
RETRY_PAUSE = 1.0


@dataclass(frozen=True)
class CallScript:
    """How every placed call goes: answered and talked for ``talk_seconds``, or not answered.

    ``outcome`` is ``"answered"`` or a ``call.failed`` status (``no-answer``, ``busy``, …).
    The reported ``duration_seconds`` is ``talk_seconds`` (at least 1), the time the call is
    kept up, so the cost the softphone shows matches what the person watching it waited.
    """

    outcome: str = "answered"
    ring_seconds: float = 3.0
    talk_seconds: float = 10.0
    recording: bool = True

    def __post_init__(self):
        if self.outcome != "answered" and self.outcome not in FAILURE_STATUSES:
            raise ValueError(f"outcome must be 'answered' or one of {', '.join(FAILURE_STATUSES)}")


def sign(secret: str, signed_at: int, call_id: str, event: str) -> str:
    """Hex HMAC-SHA256 of ``"{signed_at}.{call_id}.{event}"`` (contract §3)."""
    message = f"{signed_at}.{call_id}.{event}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Playback:
    """Plays one call's events on a daemon thread; ``cancel()`` stops it between events."""

    def __init__(self, call: dict, script: CallScript, secret: str, recording_url: str, on_event):
        self.call = call
        self.script = script
        self.secret = secret
        self.recording_url = recording_url
        self.on_event = on_event  # (call_id, status, delivery) -> None, for the stand-in's records
        self._cancelled = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"playback:{call['call_id']}", daemon=True)

    def start(self) -> "Playback":
        self.thread.start()
        return self

    def cancel(self) -> None:
        self._cancelled.set()

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when cancelled meanwhile."""
        return not self._cancelled.wait(max(0.0, seconds))

    def _run(self) -> None:
        script = self.script
        self.on_event(self.call["call_id"], "ringing", None)
        if not self._wait(script.ring_seconds):
            return
        if script.outcome != "answered":
            self._send("call.failed", status=script.outcome)
            self.on_event(self.call["call_id"], script.outcome, None)
            return
        self._send("call.answered")
        self.on_event(self.call["call_id"], "in-progress", None)
        if not self._wait(script.talk_seconds):
            return
        duration = max(1, round(script.talk_seconds))
        self._send("call.completed", duration_seconds=duration)
        self.on_event(self.call["call_id"], "completed", None)
        if script.recording and self._wait(0.5):
            self._send("recording.ready", recording_url=self.recording_url,
                       recording_duration_seconds=duration)

    def _send(self, event: str, **fields) -> None:
        call = self.call
        body = {"event": event, "call_id": call["call_id"], "direction": "outbound",
                "from": call["from"], "to": call["to"][0], "metadata": call["metadata"], **fields}
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            if self._cancelled.is_set():
                return
            signed_at = int(time.time())
            body.update(signed_at=signed_at, signature=sign(self.secret, signed_at, call["call_id"], event))
            status = _post(call["voice_callback_url"], body)
            self.on_event(call["call_id"], None, {"event": event, "attempt": attempt, "status": status})
            if isinstance(status, int) and 200 <= status < 300:
                return
            if not self._wait(RETRY_PAUSE * attempt):
                return
        logger.warning("sandbox gave up delivering %s for %s", event, call["call_id"])


def _post(url: str, body: dict) -> int | str:
    """POST ``body`` as JSON; the HTTP status, or the error's class name when nothing answered."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "SautikitSandbox/1.0"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError) as err:
        return type(err).__name__
