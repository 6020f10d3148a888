"""Freshdesk API v2 client: the only code that talks to Freshdesk.

    client = FreshdeskClient.from_settings()
    ticket = client.create_ticket(subject=..., description=..., phone=..., name=..., ...)
    client.add_note(ticket["id"], "<p>Call ended.</p>")

Errors come as a small family so callers catch the narrow one: `RateLimited`
(429, carries `retry_after`), `ServerError` (5xx), `Unavailable` (no answer:
timeout or connection failure), `ValidationFailed` (400, carries Freshdesk's
`errors`), `NotFound`, `AuthenticationFailed`. Freshdesk has no idempotency
key, so nothing here retries a write: retrying is the caller's decision.
https://developers.freshdesk.com/api/#error
"""

import logging

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..accounts import account_of, freshdesk_base_url
from ..ops import metrics
from . import budget
from .errors import ApiError, never_sent

logger = logging.getLogger(__name__)

TICKET_STATUS_OPEN = 2
TICKET_PRIORITY_MEDIUM = 2
# Freshdesk sources: 1 Email, 2 Portal, 3 Phone, 5 Twitter, 7 Chat. The seed sent 5.
TICKET_SOURCE_PHONE = 3
GATEWAY_GAVE_UP = (502, 504)


class FreshdeskError(ApiError):
    """Freshdesk did not do what was asked."""


class RateLimited(FreshdeskError):
    """429, or our shared budget has no room now (`status` None): wait `retry_after` seconds.

    `slot` is True when the budget promised this caller a slot at exactly that time: coming
    back then, with no jitter, finds room.
    """

    def __init__(self, message, retry_after, status=429, slot=False):
        super().__init__(message, status)
        self.retry_after = retry_after
        self.slot = slot


class ServerError(FreshdeskError):
    """5xx: Freshdesk may or may not have acted.

    A 502 or 504 comes from a gateway that gave up waiting: the request may still be
    running behind it. A 500 or 503 is Freshdesk's own answer: whatever it did is done.
    """

    maybe_applied = True

    @property
    def may_land_later(self):
        return self.status in GATEWAY_GAVE_UP


class Unavailable(FreshdeskError):
    """No response (timeout, connection refused or reset); `maybe_applied` unless never sent."""

    @property
    def may_land_later(self):
        # Sent, and no answer: Freshdesk may be working on it still.
        return self.maybe_applied


class ValidationFailed(FreshdeskError):
    """400: Freshdesk refused the request as invalid; sending it again will not help."""


class NotFound(FreshdeskError):
    """404: no such ticket, contact or agent."""


class AuthenticationFailed(FreshdeskError):
    """401/403: the API key is wrong or lacks the permission."""


def _error_message(response):
    """Freshdesk's error bodies: {"description", "errors": [{field, message, code}]} or {"code", "message"}."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", []
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}", []
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    details = "; ".join(
        f"{e.get('field')}: {e.get('message')} ({e.get('code')})" for e in errors if isinstance(e, dict)
    )
    message = body.get("description") or body.get("message") or f"HTTP {response.status_code}"
    return (f"{message}: {details}" if details else str(message)), errors


class FreshdeskClient:
    """One piece of work's client. `priority=True` for work that must not wait behind bulk
    ticket creation (routing's availability refresh, supervisors' admin actions, a screen
    pop): it goes ahead of the queue in the shared budget (budget.py), still counted."""

    def __init__(self, base_url, api_key, timeout=(3.05, 10), priority=False):
        self.base_url = base_url.rstrip("/")
        self.account = account_of(self.base_url)  # the budget is per account
        self.timeout = timeout
        self.priority = priority
        self._granted = False  # a request of this work was sent: the rest goes ahead (budget.py)
        self.session = requests.Session()
        self.session.auth = (api_key, "X")
        self.session.headers["Accept"] = "application/json"

    @classmethod
    def from_settings(cls, priority=False):
        base_url = freshdesk_base_url()
        if not base_url:
            raise ImproperlyConfigured("FRESHDESK_DOMAIN (or FRESHDESK_BASE_URL) is not set")
        if not settings.FRESHDESK_API_KEY:
            raise ImproperlyConfigured("FRESHDESK_API_KEY is not set")
        return cls(base_url, settings.FRESHDESK_API_KEY, settings.FRESHDESK_TIMEOUT, priority=priority)

    # --- tickets ----------------------------------------------------------------------

    def create_ticket(self, **fields):
        return self._request("POST", "/api/v2/tickets", json=fields).json()

    def get_ticket(self, ticket_id):
        return self._request("GET", f"/api/v2/tickets/{int(ticket_id)}").json()

    def update_ticket(self, ticket_id, **fields):
        return self._request("PUT", f"/api/v2/tickets/{int(ticket_id)}", json=fields).json()

    def list_tickets(self, **filters):
        """One page of the list API (real-time, unlike search): requester_id, updated_since, …"""
        return self._request("GET", "/api/v2/tickets", params=filters).json()

    def add_note(self, ticket_id, body, private=True):
        return self._request("POST", f"/api/v2/tickets/{int(ticket_id)}/notes",
                             json={"body": body, "private": private}).json()

    def list_conversations(self, ticket_id):
        return self._request(
            "GET", f"/api/v2/tickets/{int(ticket_id)}/conversations", params={"per_page": 100}
        ).json()

    # --- contacts, agents and groups --------------------------------------------------

    def find_contacts(self, phone):
        """Contacts whose phone or mobile is exactly `phone` (Freshdesk matches exactly)."""
        found = {}
        for field in ("phone", "mobile"):
            for contact in self._request("GET", "/api/v2/contacts", params={field: phone}).json():
                found[contact["id"]] = contact
        return list(found.values())

    def list_agents(self):
        """Every agent, with its `group_ids` (needs an admin API key)."""
        return self._list_all("/api/v2/agents")

    def list_groups(self):
        """Every group: `id`, `name`, `description`, … (membership is on the agents)."""
        return self._list_all("/api/v2/groups")

    def _list_all(self, path):
        """All pages of a list, following the `Link: <…>; rel="next"` header (100 a page at most)."""
        response = self._request("GET", path, params={"per_page": 100})
        items = list(response.json())
        while "next" in response.links:
            response = self._request("GET", response.links["next"]["url"])
            items.extend(response.json())
        return items

    def me(self):
        return self._request("GET", "/api/v2/agents/me").json()

    # --- transport --------------------------------------------------------------------

    def _request(self, method, path, **kwargs):
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        endpoint = path.split("?")[0] if not path.startswith("http") else "(next page)"
        wait, slot = budget.take_with_slot(self.account, priority=self.priority or self._granted,
                                           queue=not self.priority)
        if wait:
            metrics.freshdesk_answered(method, "budget_spent")
            raise RateLimited("shared Freshdesk request budget: no room now", retry_after=wait,
                              status=None, slot=slot)
        self._granted = True
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            metrics.freshdesk_answered(method, "no_response")
            logger.warning("freshdesk no response", extra={"method": method, "endpoint": endpoint,
                                                           "error": type(err).__name__})
            raise Unavailable(f"Freshdesk did not answer: {type(err).__name__}",
                              maybe_applied=not never_sent(err)) from err
        metrics.freshdesk_answered(method, response.status_code)
        budget.observe(self.account, response.headers, response.status_code)
        logger.info("freshdesk response", extra={
            "method": method, "endpoint": endpoint, "freshdesk_status": response.status_code,
            "ratelimit_remaining": response.headers.get("X-RateLimit-Remaining"),
        })
        if response.ok:
            return response
        message, errors = _error_message(response)
        status = response.status_code
        if status == 429:
            raise RateLimited(message, retry_after=budget.retry_after(response.headers))
        if status >= 500:
            raise ServerError(message, status)
        if status in (401, 403):
            raise AuthenticationFailed(message, status)
        if status == 404:
            raise NotFound(message, status)
        raise ValidationFailed(message, status, errors)
