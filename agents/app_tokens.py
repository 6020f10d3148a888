"""Credentials of the Freshdesk app: app tokens (stored hashed) and short-lived live tokens.

    token, raw = issue_app_token("Freshdesk (production)", created_by=request.user)
    find_app_token(raw)                       # the active AppToken, or None
    live = issue_live_token(token, agent)     # for the browser's direct polling
    read_live_token(live)                     # (AppToken, AgentPhone), or raises InvalidLiveToken

Two credentials because the app reaches SautiDesk two ways (docs/freshdesk-app.md):

- the **app token** is a secure installation parameter: Freshworks' request proxy puts it in
  the `Authorization` header of the app's request templates and it never reaches a browser.
  It is 256 random bits, so a plain SHA-256 is enough to store it (a slow password hash
  protects guessable secrets; this one cannot be guessed), and lookups are by that hash;
- a **live token** is what the sidebar polls SautiDesk with directly, because Freshworks
  allows 50 template requests a minute for the whole account. It is signed with SECRET_KEY,
  names one agent, reads only that agent's pops and recent calls, expires after an hour and
  dies with the app token it was issued under.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from .models import AgentPhone, AppToken

TOKEN_PREFIX = "sdapp_"
# The hint shown in the admin beside the token's name: enough to tell two tokens apart.
SHOWN_CHARS = len(TOKEN_PREFIX) + 6
# last_used_at is a hint for the admin, not an audit log: one write a minute at most.
TOUCH_EVERY = timedelta(minutes=1)

LIVE_TOKEN_SALT = "agents.freshdesk-app.live"
LIVE_TOKEN_MAX_AGE = timedelta(hours=1)


class InvalidLiveToken(Exception):
    """The live token is malformed, forged, expired, or its app token or agent is gone."""


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_app_token(name, created_by=None, instance=None):
    """Save a new AppToken (or the unsaved `instance`); return it and the raw token, kept nowhere."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = instance or AppToken()
    token.name, token.created_by = name, created_by
    token.prefix, token.token_hash = raw[:SHOWN_CHARS], hash_token(raw)
    token.save()
    return token, raw


def find_app_token(raw, now=None):
    """The active AppToken whose raw value this is, or None; notes when it was last used."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = AppToken.objects.filter(token_hash=hash_token(raw), revoked_at__isnull=True).first()
    if token is not None:
        now = now or timezone.now()
        if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
            AppToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(queryset, now=None):
    """Revoke the active tokens among `queryset`; return how many were revoked."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def issue_live_token(app_token, agent):
    return signing.dumps({"t": app_token.pk, "a": agent.pk}, salt=LIVE_TOKEN_SALT)


def read_live_token(value):
    """Return (AppToken, AgentPhone) for a live token that is still good, else raise InvalidLiveToken."""
    try:
        data = signing.loads(value, salt=LIVE_TOKEN_SALT, max_age=LIVE_TOKEN_MAX_AGE)
    except signing.SignatureExpired as err:
        raise InvalidLiveToken("expired") from err
    except signing.BadSignature as err:
        raise InvalidLiveToken("bad signature") from err
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("a"), int):
        raise InvalidLiveToken("unexpected content")
    app_token = AppToken.objects.filter(pk=data["t"], revoked_at__isnull=True).first()
    agent = (AgentPhone.objects.select_related("user")
             .filter(pk=data["a"], is_active=True, user__isnull=False).first())
    if app_token is None or agent is None:
        raise InvalidLiveToken("app token revoked or agent no longer linked")
    return app_token, agent
