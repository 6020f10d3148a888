"""Phone numbers as Freshdesk and Sautikit need them: E.164, Kenya as the default region.

Freshdesk matches a requester's `phone` exactly, so `0712 345 678`, `254712345678`
and `+254712345678` must all become `+254712345678` before they reach it.
"""

from dataclasses import dataclass

import phonenumbers

from .text import one_line

DEFAULT_REGION = "KE"


@dataclass(frozen=True)
class Number:
    """A number as we store it: E.164 when it parsed, else the input kept as given."""

    value: str
    valid: bool


class InvalidNumber(ValueError):
    """The text is not a dialable phone number."""


def to_e164(text):
    """Return `text` in E.164, or raise InvalidNumber.

    `2547…` without a plus is a Kenyan number written in international form, which
    libphonenumber would otherwise read as a local number of the default region.
    """
    cleaned = "".join(ch for ch in str(text) if ch not in " -().\u00a0").strip()
    if cleaned.startswith("254") and not cleaned.startswith("+"):
        cleaned = "+" + cleaned
    elif cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        parsed = phonenumbers.parse(cleaned, DEFAULT_REGION)
    except phonenumbers.NumberParseException as err:
        raise InvalidNumber(f"not a phone number: {err}") from err
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise(text):
    """Like to_e164, but an unparsable number is kept as given and flagged, never an error."""
    try:
        return Number(to_e164(text), True)
    except InvalidNumber:
        return Number(one_line(str(text))[:32], False)
