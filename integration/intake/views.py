"""Sautikit webhook intake: `POST /webhooks/sautikit/` (contract §3).

The view does three small things in order, each with its own answer when it fails:
read and parse the body (413 / 400), verify the signature (401 / 403), store the
event (2xx; `call.routing` is answered with voice actions). Everything slow happens
later in a Celery task. A short, detail-free error is all a bad caller learns;
nothing a caller sends yields a 500. While the database cannot be reached the answer
is 503 with Retry-After and Sautikit delivers again later (should the event have been
committed just before the connection died, that delivery is answered as a duplicate).
"""

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..events import ROUTING, InvalidEvent, parse_body, parse_event
from ..ops import metrics
from ..routing import answer as routing
from . import store
from .signature import SignatureError, SignatureMissing, verify

logger = logging.getLogger(__name__)

# What a database failover or restart takes, give or take: Sautikit may come back sooner.
RETRY_AFTER_SECONDS = 30


def _error(status, message):
    return Response({"error": message}, status=status)


class JsonOnly(BaseContentNegotiation):
    """Sautikit sends and reads JSON, whatever it says in Accept: nothing to negotiate."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SautikitWebhookView(APIView):
    """Verify, store, answer. Sautikit retries anything that is not a 2xx.

    The signature is the authentication, so DRF's authentication, permissions, throttles
    and content negotiation are all switched off: on a path that must absorb a redelivered
    backlog, each costs CPU and none has anything to decide.
    """

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    parser_classes = (JSONParser,)  # never used to read (see _answer); it documents the body
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = JsonOnly

    def perform_authentication(self, request):
        pass  # no request.user here: nobody logs in to post a webhook

    def post(self, request):
        started = time.perf_counter()
        try:
            event_name, response = self._answer(request)
        except (OperationalError, InterfaceError) as err:
            logger.warning("webhook not stored: database unavailable", extra={"error": type(err).__name__})
            event_name = ""
            response = _error(503, "temporarily unavailable, try again later")
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        if response.status_code == 503:
            outcome = "unavailable"
        elif response.status_code >= 400:
            outcome = f"rejected_{response.status_code}"
        elif event_name == ROUTING:
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

        stored = store.store(event, text)
        if event.event == ROUTING:
            return event_name, Response(routing.voice_actions(event))
        body = {"status": stored.outcome, "event_id": stored.event_id}
        return event_name, Response(body, status=stored.http_status)
