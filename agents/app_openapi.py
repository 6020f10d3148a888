"""The Freshdesk app's endpoints in /api/schema/, described from outside the views as
integration/ops/openapi.py does for the rest (loaded by agents/app_urls.py)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from integration.ops.openapi import CALL, PLACE_CALL, describe, error_response

TICKET = {
    "type": "object",
    "nullable": True,
    "properties": {
        "id": {"type": "integer", "description": "Freshdesk ticket id."},
        "url": {"type": "string"},
        "subject": {"type": "string"},
        "callback_open": {"type": "boolean"},
    },
}
POP = {
    "type": "object",
    "nullable": True,
    "description": "The inbound call routing sent to this agent in the last 90 s, still ringing or "
                   "answered; null when there is none.",
    "properties": {
        "id": {"type": "integer"},
        "call_id": {"type": "string"},
        "from": {"type": "string"},
        "name": {"type": "string", "description": "The caller's name in Freshdesk, or empty."},
        "status": {"type": "string", "enum": ["ringing", "answered"]},
        "status_display": {"type": "string"},
        "ticket": {**TICKET, "description": "The ticket to open: an open callback first, else the newest."},
        "open_callbacks": {"type": "array", "items": TICKET},
    },
}
STATE = {
    "incoming": POP,
    "calls": {"type": "array", "items": CALL, "description": "The agent's recent calls, newest first."},
}
SESSION = {
    "type": "object",
    "properties": {
        "agent": {"type": "object", "properties": {"name": {"type": "string"},
                                                   "freshdesk_agent_id": {"type": "integer"}}},
        "live": {"type": "object", "properties": {
            "url": {"type": "string", "description": "Where the browser polls (GET, Bearer live token)."},
            "token": {"type": "string", "description": "Live token: this agent's pops and calls, for an hour."},
            "expires_in": {"type": "integer", "description": "Seconds."},
            "poll_ms": {"type": "integer"},
        }},
        **STATE,
    },
}
AGENT_ID = OpenApiParameter(
    "freshdesk_agent_id", int, OpenApiParameter.PATH,
    description="The logged-in Freshdesk agent's id (`loggedInUser.id`), which the agent's "
                "browser supplies: see docs/freshdesk-app.md for what that trusts.")
NOT_LINKED = "The Freshdesk agent has no active agent phone linked to an active SautiDesk login."


class AppTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agents.app_api.AppTokenAuthentication"
    name = "appToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An app token from Admin → App tokens, sent by Freshworks' request proxy."}


class LiveTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agents.app_api.LiveTokenAuthentication"
    name = "liveToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "The live token from the session endpoint."}


describe(
    "agents.app_api.SessionView",
    operation_id="freshdesk_app_session",
    summary="Start the Freshdesk app's session for an agent",
    description="Called through a request template when the sidebar loads, and hourly.",
    request=None,
    parameters=[AGENT_ID],
    responses={
        200: OpenApiResponse(response=SESSION, description="The agent, a live token, the state."),
        401: error_response("No app token, or a revoked or unknown one."),
        403: error_response(NOT_LINKED),
        429: error_response("Too many sessions started in a minute."),
    },
)


describe(
    "agents.app_api.AppCallsView",
    operation_id="freshdesk_app_place_call",
    summary="Place a call for a Freshdesk agent",
    description="What `/api/calls/` does, for the agent phone of the Freshdesk agent in the "
                "path: calls placed here and on /softphone/ share one throttle.",
    request={"application/json": PLACE_CALL},
    parameters=[AGENT_ID],
    responses={
        201: OpenApiResponse(response=CALL, description="Call placed."),
        200: OpenApiResponse(response=CALL, description="A repeated click: the call already placed."),
        400: error_response("The number or ticket is not valid."),
        401: error_response("No app token, or a revoked or unknown one."),
        403: error_response(NOT_LINKED),
        429: error_response("Too many calls placed in a minute."),
        502: error_response("Sautikit refused the call."),
        503: error_response("Calling is not set up, or Sautikit is unavailable."),
        504: error_response("Sautikit did not answer in time."),
    },
)


describe(
    "agents.app_api.LiveView",
    method="get",
    operation_id="freshdesk_app_live",
    summary="The agent's incoming call and recent calls",
    description="Polled by the sidebar from the browser (CORS: any origin, no cookies).",
    responses={
        200: OpenApiResponse(response={"type": "object", "properties": STATE},
                             description="The call to pop (or null) and recent calls."),
        401: error_response("No live token, or an expired one, or its app token was revoked."),
        429: error_response("Polled too often."),
    },
)
