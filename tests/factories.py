"""Small builders for test data."""

import itertools
import time

from django.contrib.auth import get_user_model

from agents.models import AgentPhone
from integration.intake.signature import sign

SECRET = "whsec_test_5f2b9c"
AGENT_PASSWORD = "pw-softphone-1"
_agent_ids = itertools.count(501)


def make_agent(name="Wanjiku Kamau", username=None, available=True, **fields):
    """An agent routing can reach (available, active); with `username`, also their softphone login."""
    if username:
        fields["user"] = get_user_model().objects.create_user(username=username, password=AGENT_PASSWORD)
    fields.setdefault("freshdesk_agent_id", next(_agent_ids))
    return AgentPhone.objects.create(name=name, available=available, **fields)


def signed(event, call_id, secret=SECRET, signed_at=None, **fields):
    """A webhook body as Sautikit sends it, signed now unless told otherwise."""
    signed_at = int(time.time()) if signed_at is None else signed_at
    fields.setdefault("from", "+254712345678")
    fields.setdefault("to", "+254203893800")
    return {"event": event, "call_id": call_id, **fields, "signed_at": signed_at,
            "signature": sign(secret, signed_at, call_id, event)}
