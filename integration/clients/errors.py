"""The error shape both API clients share, so callers treat Freshdesk and Sautikit alike.

Each client has its own family under `ApiError` (`FreshdeskError`, `SautikitError`) with the
same members: `Unavailable` (no answer), `ServerError` (5xx), `AuthenticationFailed`
(401/403), and 4xx refusals. `maybe_applied` says whether the service may have carried out
the request although we got no success answer: the one fact a caller needs before it
repeats a write that has no idempotency key, or tells an agent "the call was not placed".
`may_land_later` says whether it may still be running there, so that its effect can
appear after we look (processing/unsure.py waits that out before creating again).
Messages are facts for logs and supervisors; wording for agents is the caller's job.
"""

import requests
from urllib3.exceptions import NewConnectionError


class ApiError(Exception):
    """The service did not do what was asked."""

    maybe_applied = False
    # Whether it may still be running at the service, so that its effect can appear later.
    may_land_later = False

    def __init__(self, message, status=None, errors=None, maybe_applied=None):
        super().__init__(message)
        self.status = status
        self.errors = errors or []
        if maybe_applied is not None:
            self.maybe_applied = maybe_applied


def never_sent(err):
    """True when a `requests` error surely happened before the request reached the service."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(err, requests.ConnectionError) and isinstance(reason, NewConnectionError)
