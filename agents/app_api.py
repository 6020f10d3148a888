"""The API of the SautiDesk app inside Freshdesk: the softphone's call path, throttle and pop.

    POST /api/freshdesk-app/agents/<freshdesk_agent_id>/session/  app token   → who, live token, state
    POST /api/freshdesk-app/agents/<freshdesk_agent_id>/calls/    app token   → agents.api.CallsView
    GET  /api/freshdesk-app/live/                                 live token  → pop and recent calls

The first two arrive through Freshworks' request proxy with the app token of the app's
secure installation parameter. The agent id in their path comes from the agent's browser
(`loggedInUser`): docs/freshdesk-app.md says what claiming someone else's id allows. A
request runs as the SautiDesk login linked to that agent's AgentPhone, so a call is placed by
`agents.calls.place_call` for that user, exactly as from /softphone/: the same destination
rules, and the same per-user throttle (calls from both count together).

`live/` is polled by the sidebar itself, straight from the browser (CORS, no cookies), with
the live token the session handed out: polling through a request template would spend
Freshworks' 50 requests a minute for the whole account within seconds.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from integration.models import Ticket

from .api import CallsView, IsActiveAgent, recent_calls
from .app_tokens import (LIVE_TOKEN_MAX_AGE, SHOWN_CHARS, TOKEN_PREFIX, InvalidLiveToken, find_app_token,
                         issue_live_token, read_live_token)
from .models import AgentPhone, AppToken
from .screenpop import pop_for, ticket_json
from .serializers import call_json

logger = logging.getLogger(__name__)

# The sidebar asks this often; 50 agents make 1,000 requests a minute to SautiDesk (not to Freshworks).
LIVE_POLL_MS = 3000
OPEN_CALLBACKS_SHOWN = 5

TOKEN_REFUSED = ("SautiDesk refused this app's token: it was revoked or mistyped. A SautiDesk "
                 "administrator creates a new one (Admin → App tokens) and enters it in the app's "
                 "settings in Freshdesk.")
LIVE_REFUSED = "This phone panel's session with SautiDesk ended; it is starting a new one."


@dataclass(frozen=True)
class AppCaller:
    """`request.auth` on the app-token endpoints: the token, and the agent (None if not linked)."""

    token: AppToken
    agent: AgentPhone | None


def _bearer(request):
    """The Bearer credential of the request, None if there is none, or AuthenticationFailed."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"bearer":
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed("Send one token after “Bearer”.")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed(TOKEN_REFUSED) from None


def linked_agent(freshdesk_agent_id):
    """The active AgentPhone of this Freshdesk agent with an active SautiDesk login, or None."""
    if not isinstance(freshdesk_agent_id, int) or not 0 < freshdesk_agent_id < 2**63:
        return None  # not an id the database can hold, so nobody's
    return (AgentPhone.objects.select_related("user")
            .filter(freshdesk_agent_id=freshdesk_agent_id, is_active=True, user__is_active=True)
            .first())


class AppTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <app token>`, with the Freshdesk agent id from the URL.

    A good token for an agent who is not linked authenticates as anonymous, so the
    permission check answers with /softphone/'s own "not linked" message (403).
    """

    def authenticate(self, request):
        raw = _bearer(request)
        if raw is None:
            return None
        token = find_app_token(raw)
        if token is None:
            shown = raw[:SHOWN_CHARS] if raw.startswith(TOKEN_PREFIX) else "(not an app token)"
            logger.info("freshdesk app token refused", extra={"token_prefix": shown})
            raise exceptions.AuthenticationFailed(TOKEN_REFUSED)
        agent_id = request.parser_context["kwargs"].get("freshdesk_agent_id")
        agent = linked_agent(agent_id)
        if agent is None:
            logger.info("freshdesk app agent not linked", extra={"agent_id": agent_id, "app_token_id": token.pk})
            return AnonymousUser(), AppCaller(token, None)
        return agent.user, AppCaller(token, agent)

    def authenticate_header(self, request):
        return 'Bearer realm="sautidesk-app"'


class HasAppToken(BasePermission):
    message = "Send the app token as “Authorization: Bearer …” (the app's request templates do)."

    def has_permission(self, request, view):
        return isinstance(request.auth, AppCaller)


class SessionThrottle(UserRateThrottle):
    """Per linked login: a session is started once per Freshdesk page load and then hourly."""

    scope = "freshdesk_app_session"
    rate = "20/min"


def live_url(request):
    path = reverse("freshdesk-app-live")
    base = settings.PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def app_pop(agent):
    """/softphone/'s pop, plus the caller's open callback tickets, newest first as the pop picks."""
    pop = pop_for(agent)
    if pop is not None:
        callbacks = (Ticket.objects.filter(requester_number=pop["from"], callback_open=True)
                     .order_by("-created_at")[:OPEN_CALLBACKS_SHOWN])
        pop["open_callbacks"] = [ticket_json(ticket) for ticket in callbacks]
    return pop


def live_state(user, agent):
    return {"incoming": app_pop(agent), "calls": [call_json(call) for call in recent_calls(user, agent)]}


class SessionView(APIView):
    """Who the agent is to SautiDesk, a live token for polling, and the state to show first."""

    authentication_classes = [AppTokenAuthentication]
    permission_classes = [HasAppToken, IsActiveAgent]
    throttle_classes = [SessionThrottle]

    def post(self, request, freshdesk_agent_id):
        caller = request.auth
        logger.info("freshdesk app session", extra={"agent_id": freshdesk_agent_id,
                                                     "app_token_id": caller.token.pk})
        return Response({
            "agent": {"name": caller.agent.name, "freshdesk_agent_id": caller.agent.freshdesk_agent_id},
            "live": {
                "url": live_url(request),
                "token": issue_live_token(caller.token, caller.agent),
                "expires_in": int(LIVE_TOKEN_MAX_AGE.total_seconds()),
                "poll_ms": LIVE_POLL_MS,
            },
            **live_state(request.user, caller.agent),
        })


class AppCallsView(CallsView):
    """/api/calls/ for the app: the same serializer, `place_call`, throttle and answers."""

    authentication_classes = [AppTokenAuthentication]
    permission_classes = [HasAppToken, IsActiveAgent]

    def post(self, request, freshdesk_agent_id):
        return super().post(request)


class LiveTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = _bearer(request)
        if raw is None:
            return None
        try:
            app_token, agent = read_live_token(raw)
        except InvalidLiveToken as err:
            logger.info("freshdesk app live token refused", extra={"reason": str(err)})
            raise exceptions.AuthenticationFailed(LIVE_REFUSED) from err
        return agent.user, AppCaller(app_token, agent)

    def authenticate_header(self, request):
        return 'Bearer realm="sautidesk-app-live"'


class LiveThrottle(SimpleRateThrottle):
    """Per agent: the sidebar polls 20 times a minute; a runaway loop stops here."""

    scope = "freshdesk_app_live"
    rate = "60/min"

    def get_cache_key(self, request, view):
        caller = request.auth
        if not isinstance(caller, AppCaller) or caller.agent is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": caller.agent.pk}


class LiveView(APIView):
    """What the sidebar refreshes: the call to pop and the agent's recent calls.

    Called cross-origin from the app's frame on Freshworks' domain, so every answer
    (errors too) allows any origin: the credential is the Bearer token, never a cookie.
    """

    authentication_classes = [LiveTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [LiveThrottle]

    def initial(self, request, *args, **kwargs):
        if request.method == "OPTIONS":
            # A CORS preflight carries no Authorization header: it is answered without checks.
            self.format_kwarg = self.get_format_suffix(**kwargs)
            return
        super().initial(request, *args, **kwargs)

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "GET"
        response["Access-Control-Allow-Headers"] = "Authorization"
        response["Access-Control-Max-Age"] = "600"
        return response

    def get(self, request):
        return Response(live_state(request.user, request.auth.agent))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "no-store"
        return response
