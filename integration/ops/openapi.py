"""The OpenAPI schema at `/api/schema/` (drf-spectacular): the contract's two endpoints.

The views carry no schema annotations of their own; `describe` below
describes them from outside, so the schema lives beside the contract (contract §3,
§4, §6) rather than in the view code. drf-spectacular loads them when this
module is imported (from sautidesk/urls.py).
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from ..events import EVENT_NAMES

SCHEMA_PATHS = (
    "/webhooks/sautikit/", "/api/calls/",
    # The Freshdesk app's (agents/app_openapi.py describes them).
    "/api/freshdesk-app/agents/{freshdesk_agent_id}/session/",
    "/api/freshdesk-app/agents/{freshdesk_agent_id}/calls/", "/api/freshdesk-app/live/",
)

SECONDS = {"type": "integer", "minimum": 0, "maximum": 7 * 24 * 3600}
SAY = {"type": "object", "properties": {"text": {"type": "string"},
                                        "language": {"type": "string", "enum": ["en-KE", "sw-KE"]}}}

WEBHOOK_EVENT = {
    "type": "object",
    "description": "A Sautikit event (contract §3), signed over signed_at, call_id and event: "
                   "signature = hex HMAC-SHA256(secret, \"{signed_at}.{call_id}.{event}\").",
    "required": ["event", "call_id", "signed_at", "signature"],
    "properties": {
        "event": {"type": "string", "enum": list(EVENT_NAMES), "maxLength": 40},
        "call_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "direction": {"type": "string", "enum": ["inbound", "outbound"], "default": "inbound"},
        "from": {"type": "string", "maxLength": 32, "description": "E.164; Kenyan 07…/2547… accepted."},
        "to": {"type": "string", "maxLength": 32},
        "status": {"type": "string", "maxLength": 32,
                   "description": "call.failed: no-answer, busy, failed, rejected, …"},
        "duration_seconds": {**SECONDS, "description": "call.completed"},
        "recording_url": {"type": "string", "format": "uri", "maxLength": 2000,
                          "description": "recording.ready: presigned URL, valid 7 days"},
        "recording_duration_seconds": SECONDS,
        "metadata": {"type": "object", "description": "Echoed from /v1/calls, e.g. freshdesk_ticket_id."},
        "digits": {"description": "call.routing answering a getDigits: the key pressed, \"\" for none. "
                                  "Caller input, not signed: anything but one key reads as no key, never "
                                  "an error."},
        "signed_at": {"type": "integer", "description": "Unix seconds; refused beyond ±300 s of now."},
        "signature": {"type": "string", "description": "Hex HMAC-SHA256."},
    },
}
STORED = {
    "type": "object",
    "required": ["status", "event_id"],
    "properties": {
        "status": {"type": "string", "enum": ["accepted", "duplicate", "ignored"]},
        "event_id": {"type": "integer"},
    },
}
ACTION = {
    "type": "object",
    "description": "One action, keyed by its kind: say, dial, record, getDigits or hangup (contract §4).",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "say": SAY,
        "dial": {"type": "object", "properties": {"to": {"type": "string"},
                                                  "callerId": {"type": "string"},
                                                  "timeout": {"type": "integer"}}},
        "record": {"type": "object", "properties": {"maxLength": {"type": "integer"}}},
        "getDigits": {"type": "object", "properties": {"numDigits": {"type": "integer"},
                                                       "timeout": {"type": "integer"},
                                                       "say": SAY}},
        "hangup": {"type": "object"},
    },
}
VOICE_ACTIONS = {
    "type": "object",
    "required": ["actions"],
    "properties": {"actions": {"type": "array", "items": ACTION}},
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def error_response(description):
    return OpenApiResponse(response=ERROR, description=description)


def describe(view, method="post", **schema):
    """Describe `view`'s `method` from here, without touching the view's code.

    drf-spectacular registers an OpenApiViewExtension when its class is created, so
    creating one per view is the whole registration.
    """

    class Extension(OpenApiViewExtension):
        target_class = view

        def view_replacement(self):
            base = self.target_class

            def handler(self, request, *args, **kwargs):
                return getattr(base, method)(self, request, *args, **kwargs)

            return type("Annotated", (base,), {method: extend_schema(**schema)(handler)})

    return Extension


describe(
    "integration.intake.views.SautikitWebhookView",
    operation_id="sautikit_webhook",
    summary="Receive a Sautikit event",
    description="2xx once stored (processing is asynchronous); `call.routing` is "
                "answered with the voice-action document. Sautikit retries any non-2xx.",
    request={"application/json": WEBHOOK_EVENT},
    responses={
        200: OpenApiResponse(
            response={"oneOf": [STORED, VOICE_ACTIONS]},
            description="A duplicate or ignored event, or voice actions for call.routing.",
            examples=[OpenApiExample("call.routing", value={"actions": [
                {"say": {"text": "Thank you for calling. Connecting you to an agent now.",
                         "language": "en-KE"}},
                {"dial": {"to": "+254711000001", "callerId": "+254203893800",
                          "timeout": 25}}]})],
        ),
        202: OpenApiResponse(response=STORED, description="Stored; it will be processed."),
        400: error_response("Not a valid event."),
        401: error_response("No signature."),
        403: error_response("Bad or stale signature."),
        413: error_response("Body too large."),
    },
    auth=[],
)


CALL = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "call_id": {"type": "string", "nullable": True, "description": "null while being placed"},
        "direction": {"type": "string", "enum": ["inbound", "outbound"]},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "number": {"type": "string"},
        "status": {"type": "string"},
        "status_display": {"type": "string"},
        "summary": {"type": "string", "description": "The status line shown to the agent."},
        "failure_status": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "duration_seconds": {"type": "integer", "nullable": True},
        "cost_kes": {"type": "string", "nullable": True},
        "ticket_id": {"type": "integer", "nullable": True},
        "ticket_url": {"type": "string"},
        "duplicate": {"type": "boolean"},
    },
}


# What agents.serializers.PlaceCallSerializer accepts, with the number's shape spelt out
# (the serializer checks it in code, which drf-spectacular cannot see).
PLACE_CALL = {
    "type": "object",
    "required": ["to"],
    "properties": {
        "to": {"type": "string", "maxLength": 40, "pattern": r"^\+?[0-9][0-9 ()-]{7,38}$",
               "example": "0712 345 678",
               "description": "The number to call; Kenyan 07…/2547… or E.164 (+254…)."},
        "ticket_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "nullable": True,
                      "description": "Freshdesk ticket the call is about."},
        "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                       "description": "Set by the page per click: a repeat returns the same call."},
    },
}


describe(
    "agents.api.CallsView",
    operation_id="place_call",
    summary="Place a call from the logged-in agent's phone",
    description="Session authentication and CSRF (the softphone page). A repeated "
                "`request_id` returns the call already placed (200).",
    request={"application/json": PLACE_CALL},
    responses={
        201: OpenApiResponse(response=CALL, description="Call placed."),
        200: OpenApiResponse(response=CALL, description="Same request_id: the call already placed."),
        400: OpenApiResponse(response={**ERROR, "properties": {
            **ERROR["properties"], "fields": {"type": "object"}}},
            description="The number or ticket is not valid."),
        403: error_response("Not logged in, CSRF failed, or not linked to an active agent."),
        429: error_response("Too many calls placed in a minute."),
        502: error_response("Sautikit refused the call."),
        503: error_response("Calling is not set up, or Sautikit is unavailable."),
        504: error_response("Sautikit did not answer in time."),
    },
)


def contract_endpoints_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: keep only the endpoints of contract §6."""
    return [endpoint for endpoint in endpoints if endpoint[0] in SCHEMA_PATHS]
