"""Which numbers the company's Sautikit wallet may ring (DESIGN §5): the destination policy.

    refusal = refusal_for("+19005550100")   # None, or Refusal(reason, message)
    refusal.reason, refusal.message         # "premium_rate", "…premium-rate numbers can't be called…"

Sautikit bills every outbound second and dials whatever it is given, so toll fraud through a
hijacked agent login (premium-rate, satellite and far-away numbers that pay the fraudster a
share) is stopped here, before anything is sent. `agents.calls.place_call` asks this module
for every outbound call, whatever the caller (softphone page, `POST /api/calls/`, the
Freshdesk app), so there is one policy and one place to read it:

1. a number on the supervisors' allow-list (`AllowedNumber`) is allowed, whatever follows;
2. satellite and international-network codes (+870, +881, +882, +883, +979 …, libphonenumber's
   "non-geographic entities") are refused;
3. number types that cost more than a call or pay the callee — premium rate, shared cost,
   personal, pager, UAN, voicemail access, VoIP — are refused, as libphonenumber classifies them;
4. a number outside OUTBOUND_COUNTRIES (Kenya by default) is refused.
"""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneNumberType, geocoder

from .models import AllowedNumber

# Number types whose price is not a plain call's, or whose revenue goes to whoever holds the
# number. Toll-free stays allowed: it costs the caller nothing where it can be reached at all.
REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: ("premium_rate", "a premium-rate number", "premium-rate numbers"),
    PhoneNumberType.SHARED_COST: ("shared_cost", "a shared-cost number", "shared-cost numbers"),
    PhoneNumberType.PERSONAL_NUMBER: ("personal_number", "a personal (forwarding) number",
                                      "personal numbers"),
    PhoneNumberType.PAGER: ("pager", "a pager number", "pager numbers"),
    PhoneNumberType.UAN: ("uan", "a universal access (UAN) number", "UAN numbers"),
    PhoneNumberType.VOICEMAIL: ("voicemail", "a voicemail access number", "voicemail access numbers"),
    PhoneNumberType.VOIP: ("voip", "a VoIP number", "VoIP numbers"),
    PhoneNumberType.UNKNOWN: ("unknown_type", "a number of unknown kind",
                              "numbers whose kind cannot be told"),
}
NON_GEOGRAPHIC = "001"  # libphonenumber's region for +800, +870, +881, +882, +883, +979 …
EXCEPTION_HINT = ("If this call is really needed, a supervisor can add the number to the allowed "
                  "numbers (Admin → Allowed numbers).")


@dataclass(frozen=True)
class Refusal:
    """Why a number may not be called: `reason` for logs and metrics, `message` for the agent."""

    reason: str
    message: str


def refusal_for(number):
    """None if `number` (E.164) may be called from the softphone, else the Refusal."""
    if AllowedNumber.objects.filter(number=number).exists():
        return None
    return policy_refusal(number)


def policy_refusal(number):
    """The Refusal the rules give `number`, the allow-list aside (None: the rules allow it)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return Refusal("not_a_number", f"“{number}” is not a phone number that can be dialled.")
    region = phonenumbers.region_code_for_number(parsed)
    if region == NON_GEOGRAPHIC or parsed.country_code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        return Refusal("international_network", (
            f"{number} is a satellite or international-network number (+{parsed.country_code}): "
            f"these can't be called from the softphone. {EXCEPTION_HINT}"))
    refused_type = REFUSED_TYPES.get(phonenumbers.number_type(parsed))
    if refused_type:
        reason, one, kind = refused_type
        return Refusal(reason, f"{number} is {one}: {kind} can't be called from the softphone. "
                               f"{EXCEPTION_HINT}")
    allowed = allowed_countries()
    if region not in allowed:
        where = geocoder.country_name_for_number(parsed, "en") or f"country code +{parsed.country_code}"
        return Refusal("country", (
            f"{number} is in {where}: only numbers in {_names(allowed)} can be called from the "
            f"softphone. {EXCEPTION_HINT}"))
    return None


def allowed_countries():
    """ISO 3166 codes of the countries calls may go to (OUTBOUND_COUNTRIES, Kenya by default)."""
    return {code.strip().upper() for code in settings.OUTBOUND_COUNTRIES if code.strip()}


def _names(regions):
    names = []
    for region in sorted(regions):
        example = phonenumbers.example_number(region)
        names.append((example and geocoder.country_name_for_number(example, "en")) or region)
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
