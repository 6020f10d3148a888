"""Sautikit REST client (contract §5): places calls with the server-side API key.

    call = SautikitClient.from_settings().place_call("+254712345678", metadata={...})

The key is sent only in the Authorization header of these requests; it never
appears in a page, a response of ours, or a log line.
"""

import logging

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SautikitError(Exception):
    """Sautikit did not place the call; `message` is fit to show an agent."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class SautikitUnavailable(SautikitError):
    """No answer from Sautikit (timeout or connection failure)."""


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
        body = {"from": self.from_number, "to": [to], "metadata": metadata or {}}
        if voice_callback_url:
            body["voice_callback_url"] = voice_callback_url
        try:
            response = self.session.post(f"{self.base_url}/v1/calls", json=body, timeout=self.timeout)
        except requests.RequestException as err:
            logger.warning("sautikit no response", extra={"error": type(err).__name__})
            raise SautikitUnavailable("Sautikit did not answer; the call was not placed.") from err
        logger.info("sautikit response", extra={"endpoint": "/v1/calls", "sautikit_status": response.status_code})
        if response.ok:
            try:
                return response.json()
            except ValueError as err:
                raise SautikitError("Sautikit answered with something that is not JSON.") from err
        raise SautikitError(self._describe(response), response.status_code)

    @staticmethod
    def _describe(response):
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("error") or body.get("message") if isinstance(body, dict) else None
        if response.status_code in (401, 403):
            return "Sautikit refused our API key; ask an administrator to check SAUTIKIT_API_KEY."
        if response.status_code >= 500:
            return "Sautikit is having trouble; the call was not placed. Try again in a minute."
        return f"Sautikit refused the call: {detail or f'HTTP {response.status_code}'}."
