"""Login lockout against password guessing, with django-axes (settings: AXES_*, docs/security.md).

Axes counts failed logins on /admin/login/ and /softphone/login/ per username + client
address; at LOGIN_FAILURE_LIMIT that pair is locked out, the right password included, until
LOGIN_LOCKOUT_MINUTES pass or a supervisor unlocks it (Admin → Access attempts). Locking the
pair, not the username alone, means a stranger guessing an agent's password from elsewhere
does not lock the agent out of their own desk.

This module gives axes the client's address and the page a locked-out person sees.
"""

import ipaddress
import logging

from axes.helpers import get_client_username, get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.dispatch import receiver
from django.shortcuts import render

logger = logging.getLogger(__name__)


def client_ip(request):
    """The address failed logins are counted against.

    Behind the reverse proxy every request comes from the proxy. With TRUST_PROXY_HEADERS the
    last X-Forwarded-For entry is the one the proxy wrote (whatever precedes it, the client
    may have sent itself); otherwise the connection's own address.
    """
    if settings.TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if _is_ip(forwarded):
            return forwarded
    address = request.META.get("REMOTE_ADDR", "")
    return address if _is_ip(address) else None


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out person gets: the admin's look on the admin, the softphone's elsewhere."""
    cool_off = get_cool_off(request)
    context = {
        "username": get_client_username(request, credentials) or "",
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    if request.path.startswith("/admin/"):
        return render(request, "admin/locked_out.html",
                      {**admin.site.each_context(request), "title": "Login locked", **context}, status=429)
    return render(request, "softphone/locked_out.html", context, status=429)


@receiver(user_locked_out)
def _log_lockout(sender, request, username, ip_address, **kwargs):
    logger.warning("login locked out", extra={"username": username, "ip_address": ip_address,
                                              "path": getattr(request, "path", "")})
