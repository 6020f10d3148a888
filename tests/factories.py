"""Small builders for test data."""

import time

from integration.intake.signature import sign

SECRET = "whsec_test_5f2b9c"


def signed(event, call_id, secret=SECRET, signed_at=None, **fields):
    """A webhook body as Sautikit sends it, signed now unless told otherwise."""
    signed_at = int(time.time()) if signed_at is None else signed_at
    fields.setdefault("from", "+254712345678")
    fields.setdefault("to", "+254203893800")
    return {"event": event, "call_id": call_id, **fields, "signed_at": signed_at,
            "signature": sign(secret, signed_at, call_id, event)}
