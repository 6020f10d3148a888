"""Softphone JSON API: `POST /api/calls/` places a call; `GET /softphone/poll/` feeds the page.

Session authentication with CSRF (the project default): an anonymous request gets a
403 JSON answer, never a login page. Errors are `{"error": "..."}` with a message the
page shows as is.
"""

from django.db.models import Q
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.models import Call

from .calls import CallNotPlaced, NotAnAgent, active_agent, place_call
from .screenpop import pop_for
from .serializers import PlaceCallSerializer, call_json
from .throttles import SharedRateThrottle

RECENT_CALLS = 10


class IsActiveAgent(BasePermission):
    message = ("Your login is not linked to an active agent, so you cannot place calls. "
               "Ask a supervisor to link your user to your agent (Admin → Agent phones).")

    def has_permission(self, request, view):
        return active_agent(request.user) is not None


class PlaceCallThrottle(SharedRateThrottle):
    """Per user: far above what an agent dials by hand, low enough to stop a runaway script."""

    scope = "softphone_calls"
    limit = 10
    period = 60


def recent_calls(user, agent):
    """The calls this agent took or placed, newest first."""
    mine = Q(placed_by=user) | Q(agent=agent) if agent else Q(placed_by=user)
    return list(Call.objects.filter(mine).select_related("ticket").order_by("-started_at")[:RECENT_CALLS])


class CallsView(APIView):
    permission_classes = [IsAuthenticated, IsActiveAgent]
    throttle_classes = [PlaceCallThrottle]

    def post(self, request):
        serializer = PlaceCallSerializer(data=request.data)
        if not serializer.is_valid():
            errors = serializer.errors
            first = next(iter(errors.values()))
            message = first[0] if isinstance(first, list) and first else "Invalid request."
            return Response({"error": str(message), "fields": errors}, status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        try:
            placed = place_call(request.user, data["to"], ticket_id=data.get("ticket_id"),
                                request_id=data.get("request_id", ""))
        except NotAnAgent:
            return Response({"error": IsActiveAgent.message}, status=status.HTTP_403_FORBIDDEN)
        except CallNotPlaced as err:
            return Response({"error": err.message}, status=err.http_status)
        code = status.HTTP_200_OK if placed.duplicate else status.HTTP_201_CREATED
        return Response(call_json(placed.call, duplicate=placed.duplicate), status=code)


class PollView(APIView):
    """What the open softphone page refreshes: the incoming call to pop, and recent calls."""

    def get(self, request):
        agent = active_agent(request.user)
        return Response({
            "incoming": pop_for(agent) if agent else None,
            "calls": [call_json(call) for call in recent_calls(request.user, agent)],
        })
