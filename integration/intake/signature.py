"""Sautikit webhook signatures (contract §3), with no Django in sight.

    verify(payload, secrets=["whsec_…"], now=time.time())   # raises on failure
    sign("whsec_…", signed_at, call_id, event)             # -> hex digest

Sautikit signs `"{signed_at}.{call_id}.{event}"` with HMAC-SHA256 and puts the
hex digest in the body. Several secrets are accepted so that one can be rotated.
"""

import hashlib
import hmac

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The webhook is not provably from Sautikit."""


class SignatureMissing(SignatureError):
    """The body has no usable signed_at or signature."""


class BadSignature(SignatureError):
    """No configured secret produces this signature."""


class SignatureExpired(SignatureError):
    """signed_at is too far from now (a replay, or a badly wrong clock)."""


def sign(secret, signed_at, call_id, event):
    message = f"{signed_at}.{call_id}.{event}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(payload, secrets, now, tolerance=TOLERANCE_SECONDS):
    """Check `payload` (the parsed body) was signed by one of `secrets` within `tolerance` s."""
    signed_at = payload.get("signed_at")
    signature = payload.get("signature")
    if not isinstance(signature, str) or not signature:
        raise SignatureMissing("no signature")
    if isinstance(signed_at, bool) or not isinstance(signed_at, int):
        raise SignatureMissing("signed_at must be an integer")
    # Compared, never subtracted: 10**400 is a valid JSON integer, and int - float overflows.
    if not now - tolerance <= signed_at <= now + tolerance:
        raise SignatureExpired("signed_at outside the allowed window")
    call_id, event = payload.get("call_id"), payload.get("event")
    if not isinstance(call_id, str) or not isinstance(event, str):
        raise BadSignature("call_id and event must be strings")
    given = signature.strip().lower().encode()
    # Compare against every secret, so timing says nothing about which one matched.
    matches = [
        hmac.compare_digest(sign(s, signed_at, call_id, event).encode(), given) for s in secrets if s
    ]
    if not any(matches):
        raise BadSignature("signature does not match")
