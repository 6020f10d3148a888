"""Freshdesk API v2 validation rules and error bodies, as the real service words them.

Messages and codes follow Freshdesk's own API code (``api/lib/error_messages.yml``,
``TicketValidation``, ``ErrorConstants``): every field error is
``{"field", "message", "code"}`` inside ``{"description": "Validation failed", "errors": [...]}``,
and request-level errors are ``{"code", "message"}``. The rules that bite integrations:

* one requester identity is required (``requester_id, phone, email, twitter_id, facebook_id``);
* ``name`` is required whenever ``phone`` is the only identity, whether or not a contact with
  that phone exists (``name_required?`` looks at the payload only);
* unknown fields are rejected (``invalid_field``), wrong JSON types give ``datatype_mismatch``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

VALIDATION_FAILED = "Validation failed"

STATUSES = (2, 3, 4, 5)
PRIORITIES = (1, 2, 3, 4)
# Freshdesk's ApiTicketConstants::SOURCES (8 and 11 are internal channels; 3 = Phone, 5 = Twitter).
SOURCES = (1, 2, 3, 5, 6, 7, 8, 9, 11, 10)
TICKET_TYPES = ("Question", "Incident", "Problem", "Feature Request")
REQUESTER_FIELDS = ("requester_id", "phone", "email", "twitter_id", "facebook_id", "unique_external_id")
MAX_STRING = 255
MAX_TAG = 32
MAX_PER_PAGE = 100

TICKET_FIELDS = {
    "name", "requester_id", "email", "phone", "twitter_id", "facebook_id", "unique_external_id",
    "subject", "description", "type", "status", "priority", "source", "tags", "cc_emails",
    "custom_fields", "due_by", "fr_due_by", "email_config_id", "group_id", "product_id",
    "responder_id", "company_id", "parent_id", "attachments",
}
NOTE_FIELDS = {"body", "private", "incoming", "notify_emails", "user_id", "attachments"}

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MESSAGES = {
    "invalid_field": "Unexpected/invalid field in request",
    "blank": "It should not be blank as this is a mandatory field",
    "not_included": "It should be one of these values: '{list}'",
    "datatype": "It should be a/an {type}",
    "input_received": "Value set is of type {given}.",
    "array_datatype": "It should contain elements of type {type} only",
    "too_long": "Has {count} characters, it can have maximum of {max} characters",
    "array_too_long": "It should only contain elements that have maximum of {max} characters",
    "special_chars": "It should not have strings containing the special characters: '{chars}'",
    "fill_a_mandatory_field": "Please fill at least 1 of {fields} fields",
    "phone_mandatory": "It should not be blank if phone is only given",
    "invalid_format": "It should be in the '{accepted}' format",
    "invalid_date": "It should be a valid date in the '{accepted}' format",
    "per_page_invalid": "It should be a Positive Integer less than or equal to {max}",
    "tickets_page_invalid": (
        "You cannot access tickets beyond the {max}th page. Please provide a smaller page number."
    ),
    "absent_in_db": "There is no {resource} matching the given {attribute}",
}

INVALID_CREDENTIALS = {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
INVALID_JSON = {"code": "invalid_json", "message": "Request body has invalid json format"}
MISSING_PARAMS = {
    "code": "missing_params",
    "message": "Your update call does not have any parameter. Atleast one parameter is required.",
}
# Freshdesk's throttler answers 429 with only a message, a Retry-After header and no X-RateLimit-*.
RATE_LIMITED = {"message": "You have exceeded the limit of requests per minute"}


def field_error(field: str, key: str, code: str = "invalid_value", **params) -> dict:
    return {"field": field, "message": MESSAGES[key].format(**params), "code": code}


def validation_failed(errors: list[dict]) -> dict:
    return {"description": VALIDATION_FAILED, "errors": errors}


def invalid_content_type(content_type: str) -> dict:
    return {
        "code": "invalid_content_type",
        "message": f"Content-Type header is set to {content_type or 'nil'}. It should be set to application/json",
    }


def method_not_allowed(method: str, allowed: list[str]) -> dict:
    return {
        "code": "method_not_allowed",
        "message": f"{method} method is not allowed. It should be one of these method(s): {', '.join(allowed)}",
    }


def json_type(value) -> str:
    """The type name Freshdesk (Ruby) reports for a JSON value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    return {int: "Integer", float: "Float", str: "String", list: "Array", dict: "Hash"}.get(type(value), "String")


def _mismatch(field: str, value, expected: str) -> dict:
    message = MESSAGES["input_received"].format(given=json_type(value)) + MESSAGES["datatype"].format(type=expected)
    return {"field": field, "message": message, "code": "datatype_mismatch"}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_string(errors: list, data: dict, field: str, required: bool = False, max_length: int = MAX_STRING) -> None:
    if field not in data:
        if required:
            errors.append(field_error(field, "datatype", "missing_field", type="String"))
        return
    value = data[field]
    if value is None and not required:
        return
    if not isinstance(value, str):
        errors.append(_mismatch(field, value, "String"))
    elif required and not value.strip():
        errors.append(field_error(field, "blank"))
    elif max_length and len(value) > max_length:
        errors.append(field_error(field, "too_long", count=len(value), max=max_length))


def check_choice(errors: list, data: dict, field: str, choices: tuple) -> None:
    if field not in data:
        return
    value = data[field]
    listing = ",".join(str(c) for c in choices)
    if _is_int(value) and value in choices:
        return
    code = "invalid_value" if _is_int(value) or value is None else "datatype_mismatch"
    errors.append(field_error(field, "not_included", code, list=listing))


def check_positive_int(errors: list, data: dict, field: str) -> None:
    value = data.get(field)
    if value is not None and not (_is_int(value) and value > 0):
        errors.append(_mismatch(field, value, "Positive Integer"))


def check_bool(errors: list, data: dict, field: str) -> None:
    if field in data and not isinstance(data[field], bool):
        errors.append(_mismatch(field, data[field], "Boolean"))


def check_email_list(errors: list, data: dict, field: str) -> None:
    value = data.get(field)
    if value is None:
        return
    if not isinstance(value, list):
        errors.append(_mismatch(field, value, "Array"))
    elif not all(isinstance(v, str) and EMAIL_RE.match(v) for v in value):
        errors.append(field_error(field, "invalid_format", accepted="valid email address"))


def check_tags(errors: list, data: dict) -> None:
    if "tags" not in data:
        return
    tags = data["tags"]
    if not isinstance(tags, list):
        errors.append(_mismatch("tags", tags, "Array"))
    elif not all(isinstance(t, str) for t in tags):
        errors.append(field_error("tags", "array_datatype", "datatype_mismatch", type="String"))
    elif any(len(t) > MAX_TAG for t in tags):
        errors.append(field_error("tags", "array_too_long", max=MAX_TAG))
    elif any("," in t for t in tags):
        errors.append(field_error("tags", "special_chars", chars=","))


def validate_ticket(data: dict, creating: bool) -> list[dict]:
    """Field errors for a create (``creating``) or update payload; [] when it is acceptable."""
    errors = [field_error(name, "invalid_field", "invalid_field") for name in data if name not in TICKET_FIELDS]
    if "attachments" in data:  # files can only be sent as multipart/form-data
        errors.append(field_error("attachments", "array_datatype", "datatype_mismatch", type="valid file format"))
    check_string(errors, data, "subject", required=creating)
    check_string(errors, data, "description", required=creating, max_length=0)
    check_choice(errors, data, "status", STATUSES)
    check_choice(errors, data, "priority", PRIORITIES)
    check_choice(errors, data, "source", SOURCES)
    if data.get("type") is not None:
        check_choice(errors, data, "type", TICKET_TYPES)
    check_tags(errors, data)
    for name in ("name", "phone", "twitter_id", "facebook_id", "unique_external_id"):
        check_string(errors, data, name)
    check_string(errors, data, "email")
    if isinstance(data.get("email"), str) and not EMAIL_RE.match(data["email"]):
        errors.append(field_error("email", "invalid_format", accepted="valid email address"))
    for name in ("requester_id", "responder_id", "group_id", "product_id", "company_id", "email_config_id"):
        check_positive_int(errors, data, name)
    check_email_list(errors, data, "cc_emails")
    if data.get("custom_fields") is not None and not isinstance(data["custom_fields"], dict):
        errors.append(_mismatch("custom_fields", data["custom_fields"], "key/value pair"))
    errors.extend(_requester_errors(data, creating))
    return errors


def _requester_errors(data: dict, creating: bool) -> list[dict]:
    given = [f for f in REQUESTER_FIELDS if not _blank(data.get(f))]
    if creating and not given:
        fields = ", ".join(REQUESTER_FIELDS)
        return [field_error("requester_id", "fill_a_mandatory_field", "missing_field", fields=fields)]
    # Freshdesk checks the payload, not its contacts: a known phone still needs a name.
    if given == ["phone"] and _blank(data.get("name")):
        return [field_error("name", "phone_mandatory", "missing_field")]
    return []


def validate_note(data: dict, multipart: bool) -> list[dict]:
    errors = [field_error(name, "invalid_field", "invalid_field") for name in data if name not in NOTE_FIELDS]
    if "attachments" in data and not multipart:
        errors.append(field_error("attachments", "array_datatype", "datatype_mismatch", type="valid file format"))
    check_string(errors, data, "body", required=True, max_length=0)
    check_bool(errors, data, "private")
    check_bool(errors, data, "incoming")
    check_positive_int(errors, data, "user_id")
    check_email_list(errors, data, "notify_emails")
    return errors


def form_to_note(form: dict[str, list[str]]) -> tuple[dict, list[dict]]:
    """Turn multipart text fields into typed note data (Freshdesk accepts "true"/"false")."""
    data: dict = {}
    errors: list[dict] = []
    for key, values in form.items():
        name = key[:-2] if key.endswith("[]") else key
        if name == "notify_emails":
            data[name] = values
        elif name in ("private", "incoming"):
            raw = values[-1].strip().lower()
            if raw in ("true", "false"):
                data[name] = raw == "true"
            else:
                errors.append(_mismatch(name, values[-1], "Boolean"))
        elif name == "user_id":
            data[name] = int(values[-1]) if values[-1].isdigit() else values[-1]
        else:
            data[name] = values[-1]
    return data, errors


def page_params(query: dict[str, str], errors: list, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int]:
    """``page`` and ``per_page`` from a query string, appending Freshdesk's errors."""
    page, per_page = 1, 30
    if "per_page" in query:
        raw = query["per_page"]
        if raw.isdigit() and 0 < int(raw) <= max_per_page:
            per_page = int(raw)
        else:
            errors.append(field_error("per_page", "per_page_invalid", "datatype_mismatch", max=max_per_page))
    if "page" in query:
        raw = query["page"]
        if raw.isdigit() and int(raw) > 0:
            page = int(raw)
        else:
            errors.append(field_error("page", "datatype", "datatype_mismatch", type="Positive Integer"))
    return page, per_page


def unknown_params(query: dict[str, str], allowed: set[str]) -> list[dict]:
    return [field_error(name, "invalid_field", "invalid_field") for name in query if name not in allowed]


def parse_timestamp(value: str) -> datetime | None:
    """Parse an ISO 8601 date or date-time (``Z`` or offset); None when it is not one."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
