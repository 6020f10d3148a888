"""Local stand-ins for the Freshdesk API v2 and the Sautikit API (no Django, standard library only).

    from integration.sandbox import FreshdeskSandbox, SautikitSandbox
    with FreshdeskSandbox() as fd, SautikitSandbox() as sk:
        ...  # point FRESHDESK_BASE_URL at fd.base_url and SAUTIKIT_API_URL at sk.base_url
"""

from ._sautikit_calls import CallScript
from .freshdesk import FreshdeskSandbox
from .sautikit import SautikitSandbox

__all__ = ["CallScript", "FreshdeskSandbox", "SautikitSandbox"]
