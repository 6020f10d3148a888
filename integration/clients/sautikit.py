"""Sautikit REST client (contract §5): places calls with the server-side API key.

    call = SautikitClient.from_settings().place_call("+254712345678", metadata={...})

Errors follow the same shape as the Freshdesk client's (`errors.ApiError`): `Unavailable`
(no answer; `maybe_applied` unless the request surely never left), `ServerError` (5xx,
maybe applied), `AuthenticationFailed` (401/403), `Refused` (another 4xx, with Sautikit's
reason) and `BadResponse` (a 2xx we cannot read). The key is sent only in the
Authorization header of these requests; it never appears in a page, a response of ours,
or a log line.
"""

import logging

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import ApiError, never_sent

logger = logging.getLogger(__name__)


class SautikitError(ApiError):
    """Sautikit did not do what was asked."""


class Unavailable(SautikitError):
    """No response (timeout, connection refused or reset)."""


class ServerError(SautikitError):
    """5xx: Sautikit may or may not have acted."""

    maybe_applied = True


class AuthenticationFailed(SautikitError):
    """401/403: the API key is wrong or lacks the permission."""


class Refused(SautikitError):
    """Another 4xx: Sautikit will not do it; the message is its reason."""


class BadResponse(SautikitError):
    """A success status with a body we cannot read: the call may have been placed."""

    maybe_applied = True


def _reason(response):
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = (body.get("error") or body.get("message")) if isinstance(body, dict) else None
    return str(detail) if detail else f"HTTP {response.status_code}"


class SautikitClient:
    def __init__(self, base_url, api_key, from_number, timeout=(3.05, 10)):
        self.base_url = base_url.rstrip("/")
        self.from_number = from_number
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    @classmethod
    def from_settings(cls):
        for name in ("SAUTIKIT_API_URL", "SAUTIKIT_API_KEY", "SAUTIKIT_FROM_NUMBER"):
            if not getattr(settings, name):
                raise ImproperlyConfigured(f"{name} is not set")
        return cls(settings.SAUTIKIT_API_URL, settings.SAUTIKIT_API_KEY,
                   settings.SAUTIKIT_FROM_NUMBER, settings.SAUTIKIT_TIMEOUT)

    def place_call(self, to, voice_callback_url=None, metadata=None):
        """POST /v1/calls; the JSON describing the call (`call_id`, `status`, `metadata`)."""
        body = {"from": self.from_number, "to": [to], "metadata": metadata or {}}
        if voice_callback_url:
            body["voice_callback_url"] = voice_callback_url
        response = self._request("POST", "/v1/calls", json=body)
        try:
            return response.json()
        except ValueError as err:
            raise BadResponse("answer is not JSON", response.status_code) from err

    def _request(self, method, path, **kwargs):
        try:
            response = self.session.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            logger.warning("sautikit no response", extra={"endpoint": path, "error": type(err).__name__})
            raise Unavailable(f"no answer: {type(err).__name__}",
                              maybe_applied=not never_sent(err)) from err
        logger.info("sautikit response", extra={"endpoint": path, "sautikit_status": response.status_code})
        if response.ok:
            return response
        status, reason = response.status_code, _reason(response)
        if status >= 500:
            raise ServerError(reason, status)
        if status in (401, 403):
            raise AuthenticationFailed(reason, status)
        raise Refused(reason, status)
