"""A Sautikit event as the rest of SautiDesk sees it: parsed, checked, numbers normalised.

    text, payload = parse_body(request_body)   # bytes -> (text, dict); InvalidEvent if not JSON
    event = parse_event(payload)               # -> SautikitEvent; InvalidEvent names the bad field

The webhook view parses a delivery with these before storing it, and the worker parses the
stored text again with the same code, so a field means the same thing in both places.
Only `signed_at`, `call_id` and `event` are covered by the signature (contract §3): every
other field, metadata included, is untrusted input and is checked here, once.
"""

import json
import re
from dataclasses import dataclass

from .phones import normalise
from .recordings import link_problem
from .text import one_line

# Every event type Sautikit sends; metrics, the OpenAPI schema and the handlers use this list.
EVENT_NAMES = ("call.answered", "call.failed", "call.completed", "recording.ready", "call.routing")
ROUTING = "call.routing"
MAX_SECONDS = 7 * 24 * 3600
# Sautikit's bodies are flat but for `metadata`; deeper nesting is refused so that what is
# stored can always be parsed again by a worker and shown in the admin without a RecursionError.
MAX_DEPTH = 32
KEYPAD = "0123456789*#"
_ID = re.compile(r"[0-9]{1,19}")
_MAX_ID = 2**63


class InvalidEvent(ValueError):
    """The body is not a Sautikit event we can act on; the message says why (safe to return)."""


@dataclass(frozen=True)
class SautikitEvent:
    """A verified event with its fields checked and its numbers normalised.

    `ticket_id`, `agent_id` and `caller_name` come from `metadata` (echoed by Sautikit
    from the call we placed); a value of the wrong shape there reads as absent.
    A recording_url that is not Sautikit's (integration.recordings) reads as absent too,
    and `recording_refused` says why.
    `digits` is None on every event but the `call.routing` that answers a voice menu
    (contract §4): then it is the one key pressed, or "" for anything else.
    """

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
    recording_refused: str = ""
    ticket_id: int | None = None
    agent_id: int | None = None
    caller_name: str = ""
    digits: str | None = None

    @property
    def known(self):
        return self.event in EVENT_NAMES

    @property
    def step(self):
        """What sets this delivery apart from others of its call and event (`WebhookEvent.step`).

        Each menu answer is its own step, known by when Sautikit signed it: a repeated
        delivery carries the same `signed_at` (it is signed) and so is a duplicate, whatever
        unsigned `digits` it carries.
        """
        return f"digits@{self.signed_at}" if self.digits is not None else ""


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        # What was signed and what the parser kept could differ: refuse outright.
        raise InvalidEvent("duplicate keys in JSON object")
    return dict(pairs)


def _refuse_constant(name):
    raise InvalidEvent(f"{name} is not valid JSON")


def load_json(text):
    """JSON text → dict, refusing what Python's json accepts but JSON does not mean."""
    try:
        payload = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except InvalidEvent:
        raise
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
        raise InvalidEvent("body is not JSON") from err
    if not isinstance(payload, dict):
        raise InvalidEvent("body must be a JSON object")
    if _depth(payload) > MAX_DEPTH:
        raise InvalidEvent(f"body is nested more than {MAX_DEPTH} levels deep")
    try:
        # A "\ud800" escape decodes to a lone surrogate, which no database or HMAC can encode.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidEvent("body contains an unpaired surrogate escape") from err
    return payload


def _depth(value):
    """How deeply objects and arrays nest in `value`, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_body(body):
    """UTF-8 bytes → (text, dict)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEvent("body is not UTF-8 JSON") from err
    return text, load_json(text)


def _text(payload, name, max_length, required=False, default="", strip=True):
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
    return value.strip() if strip else value


def _seconds(payload, name):
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SECONDS:
        raise InvalidEvent(f"{name} must be a whole number of seconds")
    return value


def _ticket_id(value):
    """A Freshdesk ticket id given as a number or a string of ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _ID.fullmatch(value):
        value = int(value)
    return value if isinstance(value, int) and 0 < value < _MAX_ID else None


def _agent_id(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _MAX_ID else None


def _caller_name(value):
    return one_line(value)[:100] if isinstance(value, str) else ""


def _digits(payload):
    """The key a caller pressed in a menu; "" for no key, several keys or anything odd.

    Caller input that the signature does not cover: it never makes the event invalid
    (a 400 would leave the caller in silence), it only reads as "no valid key".
    """
    if "digits" not in payload:
        return None
    value = payload["digits"]
    if isinstance(value, str) and len(value) <= 8:
        value = value.strip()
        if len(value) == 1 and value in KEYPAD:
            return value
    return ""


def parse_event(payload):
    """Check an event's fields (after verification) and normalise its numbers."""
    # Kept exactly as signed: the signature covers these two, and they identify the event.
    event = _text(payload, "event", 40, required=True, strip=False)
    call_id = _text(payload, "call_id", 64, required=True, strip=False)
    direction = _text(payload, "direction", 8, default="inbound") or "inbound"
    if direction not in ("inbound", "outbound"):
        raise InvalidEvent("direction must be inbound or outbound")
    caller = normalise(_text(payload, "from", 32))
    callee = normalise(_text(payload, "to", 32))
    recording_url = _text(payload, "recording_url", 2000)
    if recording_url and not recording_url.startswith(("https://", "http://")):
        raise InvalidEvent("recording_url must be an http(s) URL")
    # Not a 400: Sautikit would retry the delivery for ever. The event is kept, without the link.
    recording_refused = (link_problem(recording_url) or "") if recording_url else ""
    if recording_refused:
        recording_url = ""
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
        recording_refused=recording_refused,
        ticket_id=_ticket_id(metadata.get("freshdesk_ticket_id")),
        agent_id=_agent_id(metadata.get("agent_id")),
        caller_name=_caller_name(metadata.get("caller_name")),
        digits=_digits(payload) if event == ROUTING else None,
    )
