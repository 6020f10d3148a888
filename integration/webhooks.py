"""Sautikit webhook intake: `POST /webhooks/sautikit/` (contract §3).

The view does three small things in order, each with its own answer when it fails:
read and parse the body (413 / 400), verify the signature (401 / 403), store the
event (2xx; `call.routing` is answered with voice actions). Everything slow happens
later in a Celery task. A short, detail-free error is all a bad caller learns;
nothing a caller sends yields a 500.
"""

import json
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import metrics, routing
from .services import intake
from .phones import normalise
from .signature import SignatureError, SignatureMissing, verify

logger = logging.getLogger(__name__)

KNOWN_EVENTS = {"call.answered", "call.failed", "call.completed", "recording.ready", "call.routing"}
MAX_SECONDS = 7 * 24 * 3600


class InvalidEvent(ValueError):
    """The body is not a Sautikit event we can act on; the message says why (safe to return)."""


@dataclass(frozen=True)
class SautikitEvent:
    """A verified event with its fields checked and its numbers normalised."""

    event: str
    call_id: str
    direction: str
    from_number: str
    to_number: str
    numbers_valid: bool
    signed_at: int
    status: str = ""
    duration_seconds: int | None = None
    recording_url: str = ""
    recording_duration_seconds: int | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def known(self):
        return self.event in KNOWN_EVENTS


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        # What was signed and what the parser kept could differ: refuse outright.
        raise InvalidEvent("duplicate keys in JSON object")
    return dict(pairs)


def _refuse_constant(name):
    raise InvalidEvent(f"{name} is not valid JSON")


def parse_body(body):
    """UTF-8 bytes → (text, dict), refusing what Python's json accepts but JSON does not mean."""
    try:
        text = body.decode("utf-8")
        payload = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except InvalidEvent:
        raise
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidEvent("body is not UTF-8 JSON") from err
    if not isinstance(payload, dict):
        raise InvalidEvent("body must be a JSON object")
    try:
        # A "\ud800" escape decodes to a lone surrogate, which no database or HMAC can encode.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidEvent("body contains an unpaired surrogate escape") from err
    return text, payload


def _text(payload, name, max_length, required=False, default=""):
    value = payload.get(name, default)
    if value is None and not required:
        return default
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string")
    if "\x00" in value:
        raise InvalidEvent(f"{name} contains a NUL character")
    if len(value) > max_length:
        raise InvalidEvent(f"{name} is longer than {max_length} characters")
    if required and not value.strip():
        raise InvalidEvent(f"{name} is required")
    return value.strip()


def _seconds(payload, name):
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SECONDS:
        raise InvalidEvent(f"{name} must be a whole number of seconds")
    return value


def parse_event(payload):
    """Check an event's fields (after verification) and normalise its numbers."""
    event = _text(payload, "event", 40, required=True)
    call_id = _text(payload, "call_id", 64, required=True)
    direction = _text(payload, "direction", 8, default="inbound") or "inbound"
    if direction not in ("inbound", "outbound"):
        raise InvalidEvent("direction must be inbound or outbound")
    caller = normalise(_text(payload, "from", 32))
    callee = normalise(_text(payload, "to", 32))
    recording_url = _text(payload, "recording_url", 2000)
    if recording_url and not recording_url.startswith(("https://", "http://")):
        raise InvalidEvent("recording_url must be an http(s) URL")
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidEvent("metadata must be an object")
    return SautikitEvent(
        event=event, call_id=call_id, direction=direction,
        from_number=caller.value, to_number=callee.value,
        numbers_valid=caller.valid and callee.valid,
        signed_at=payload["signed_at"],
        status=_text(payload, "status", 32),
        duration_seconds=_seconds(payload, "duration_seconds"),
        recording_url=recording_url,
        recording_duration_seconds=_seconds(payload, "recording_duration_seconds"),
        metadata=metadata,
    )


def _error(status, message):
    return Response({"error": message}, status=status)


class SautikitWebhookView(APIView):
    """Verify, store, answer. Sautikit retries anything that is not a 2xx."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        started = time.perf_counter()
        event_name, response = self._answer(request)
        if response.status_code >= 400:
            outcome = f"rejected_{response.status_code}"
        elif event_name == "call.routing":
            outcome = "routed"
            metrics.ROUTING_SECONDS.observe(time.perf_counter() - started)
        else:
            outcome = response.data["status"]
        metrics.webhook_answered(event_name, outcome)
        return response

    def _answer(self, request):
        """(event type as far as known, response) for one delivery."""
        limit = settings.SAUTIKIT_WEBHOOK_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return "", _error(413, f"body larger than {limit} bytes")
        # Read the stream ourselves: touching request.data first would consume it.
        body = request._request.read(limit + 1)
        if len(body) > limit:
            return "", _error(413, f"body larger than {limit} bytes")
        try:
            text, payload = parse_body(body)
        except InvalidEvent as err:
            return "", _error(400, str(err))
        event_name = payload.get("event") if isinstance(payload.get("event"), str) else ""
        try:
            verify(payload, settings.SAUTIKIT_WEBHOOK_SECRET, now=time.time(),
                   tolerance=settings.SAUTIKIT_SIGNATURE_TOLERANCE)
        except SignatureError as err:
            logger.warning("webhook signature refused", extra={
                "reason": type(err).__name__, "call_id": str(payload.get("call_id"))[:64],
                "webhook_event": event_name[:40],
            })
            # An unverified body's event type is not counted under its name.
            if isinstance(err, SignatureMissing):
                return "", _error(401, "missing signature")
            return "", _error(403, "invalid signature")
        try:
            event = parse_event(payload)
        except InvalidEvent as err:
            return event_name, _error(400, str(err))

        stored = intake.store(event, text)
        if event.event == "call.routing":
            return event_name, Response(routing.voice_actions(event))
        body = {"status": stored.outcome, "event_id": stored.event_id}
        return event_name, Response(body, status=stored.http_status)
