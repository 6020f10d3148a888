"""What the click-to-call API accepts and what it shows of a call (never a secret)."""

import re

from rest_framework import serializers

from integration.phones import InvalidNumber, to_e164

from .calls import is_pending

EXAMPLE = "Kenyan numbers look like 0712 345 678 or +254 712 345 678"
# Fewer digits than this cannot be a number anywhere (E.164 numbers have 8 to 15 with the country code).
MIN_DIGITS = 8


def dialable(text):
    """`text` as E.164, or a ValidationError telling the agent what is wrong with it."""
    text = text.strip()
    if not text:
        raise serializers.ValidationError(f"Enter the number to call. {EXAMPLE}.")
    # libphonenumber reads letters as a keypad (1-800-FLOWERS): an agent typing letters made a mistake.
    if re.search(r"[^\d\s+\-().]", text):
        raise serializers.ValidationError(
            f"“{text}” is not a phone number: use digits only (and a leading +). {EXAMPLE}.")
    if len(re.sub(r"\D", "", text)) < MIN_DIGITS:
        raise serializers.ValidationError(f"“{text}” is too short to be a phone number. {EXAMPLE}.")
    try:
        return to_e164(text)
    except InvalidNumber as err:
        raise serializers.ValidationError(
            f"“{text}” is not a number that can be dialled: check the digits. {EXAMPLE}.") from err


class TextField(serializers.CharField):
    """Text only: a JSON number has lost its leading 0 or + before we could see it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PlaceCallSerializer(serializers.Serializer):
    to = TextField(max_length=40, allow_blank=True, trim_whitespace=True,
                               error_messages={"required": f"Enter the number to call. {EXAMPLE}.",
                                   "null": f"Enter the number to call. {EXAMPLE}.",
                                   "invalid": f"Send the number as text. {EXAMPLE}."})
    ticket_id = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                         max_value=2**63 - 1)
    request_id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", required=False, allow_blank=True)

    def validate_to(self, value):
        return dialable(value)


def summary(status, to, duration_seconds, cost_kes, failure_status, status_display):
    """The status line the softphone and the Freshdesk app show an agent for their call."""
    if status == "placing":
        return f"Placing the call to {to}…"
    if status == "ringing":
        return f"Calling {to}: ringing…"
    if status == "answered":
        return f"Connected to {to}."
    if status == "completed":
        cost = f" (KES {cost_kes})" if cost_kes else ""
        return f"Call to {to} ended after {duration_seconds or 0}s{cost}."
    if status == "failed":
        return f"Call to {to} was not connected ({failure_status or 'failed'})."
    return f"Call to {to}: {status_display}"


def call_json(call, duplicate=False):
    """A Call as the softphone page shows it."""
    ticket = call.ticket
    pending = is_pending(call)
    status = "placing" if pending else call.status
    status_display = "Placing…" if pending else call.get_status_display()
    cost = f"{call.cost_kes:.2f}" if call.cost_kes is not None else None
    return {
        "id": call.pk,
        "call_id": None if pending else call.call_id,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "number": call.to_number if call.direction == "outbound" else call.from_number,
        "status": status,
        "status_display": status_display,
        "summary": summary(status, call.to_number, call.duration_seconds, cost, call.failure_status,
                           status_display),
        "failure_status": call.failure_status,
        "started_at": call.started_at.isoformat(),
        "duration_seconds": call.duration_seconds,
        "cost_kes": cost,
        "ticket_id": ticket.freshdesk_id if ticket else None,
        "ticket_url": ticket.freshdesk_url if ticket else "",
        "duplicate": duplicate,
    }
