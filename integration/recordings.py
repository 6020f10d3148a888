"""Which recording links reach a Freshdesk note: only Sautikit's own (recording.ready, DESIGN §3).

    problem = link_problem(url)   # None when the link is Sautikit's, else why it is not

Sautikit signs only `signed_at.call_id.event`: a recording_url changed in a replayed body, or
sent by someone holding a leaked secret, would put a link of their choosing in a private note
that agents trust as Sautikit's. So a link must be https on the host of SAUTIKIT_API_URL or
of SAUTIKIT_RECORDING_HOSTS (".example.com" allows its subdomains too). The API's own origin
is also accepted with the API's own scheme: that is how the sandbox serves its recordings
(http://127.0.0.1:8102/recordings/…), and in production the API is https anyway.

A refused link is dropped when the event is parsed (integration.events), so it is neither
stored on the Call nor put in a note; the recording.ready handler flags the event instead.
"""

from urllib.parse import urlsplit

from django.conf import settings


def link_problem(url):
    """None if `url` is a recording link Sautikit serves, else a short reason (never the URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        api = urlsplit(settings.SAUTIKIT_API_URL)
        api_port = api.port
    except ValueError:
        return "the link cannot be read"
    host = (parts.hostname or "").lower()
    if not host:
        return "the link has no host"
    if parts.username is not None or parts.password is not None:
        return "the link carries a user name or password"
    api_host = (api.hostname or "").lower()
    if (parts.scheme, host, port) == (api.scheme, api_host, api_port):
        return None
    if parts.scheme != "https":
        return f"the link to {host} is not https"
    if not any(_matches(host, allowed) for allowed in [api_host, *settings.SAUTIKIT_RECORDING_HOSTS]):
        return f"{host} is not a Sautikit host (SAUTIKIT_API_URL, SAUTIKIT_RECORDING_HOSTS)"
    return None


def _matches(host, allowed):
    allowed = allowed.strip().lower()
    if allowed.startswith("."):
        return host == allowed[1:] or host.endswith(allowed)
    return bool(allowed) and host == allowed
