"""The ticket filter language of ``GET /api/v2/search/tickets?query="..."``.

Freshdesk wants the whole query inside double quotes, strings in single quotes and
``AND``/``OR`` (AND binds tighter) with parentheses, e.g. ``"tag:'missed_call' AND status:2"``.
Supported here: ``tag``, ``status``, ``priority``, ``type``, ``group_id``, ``agent_id`` and
``created_at``/``updated_at`` compared with ``:>`` / ``:<`` to ``'yyyy-mm-dd'``. ``null`` matches
an empty value. Results come 30 a page, pages 1..10.
"""

from __future__ import annotations

import re
from typing import Callable

from ._freshdesk_rules import parse_timestamp

MAX_QUERY_LENGTH = 512
PAGE_SIZE = 30
MAX_PAGE = 10

QUERY_FORMAT_INVALID = (
    "Given query is invalid, expected format \"keyword:value  OPERATOR keyword:'string' OPERATOR "
    "keyword:>'yyyy-mm-dd' OPERATOR keyword:<integer\". Space is mandatory between key/value pair and "
    "operator. Please check the paranthesis if there are any."
)

Predicate = Callable[[dict], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op>AND|OR)(?=[\s(]) |
        (?P<key>[a-z_][a-z0-9_]*)\s*:\s*(?P<cmp>[<>]?)\s*
            (?:'(?P<string>[^']*)'|(?P<number>-?\d+)|(?P<null>null)|(?P<bool>true|false))
    )""",
    re.VERBOSE,
)

_INTEGER_FIELDS = {"status": "status", "priority": "priority", "group_id": "group_id", "agent_id": "responder_id"}
_DATE_FIELDS = ("created_at", "updated_at")


class QueryError(ValueError):
    """The query is malformed; ``field`` names what to blame in the 400 body."""

    def __init__(self, field: str = "query", message: str = QUERY_FORMAT_INVALID, code: str = "invalid_value"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def parse_query(query: str) -> Predicate:
    """Compile a quoted Freshdesk search query into a predicate over ticket dicts."""
    text = query.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise QueryError()
    inner = text[1:-1].strip()
    if len(inner) > MAX_QUERY_LENGTH:
        raise QueryError(message=f"Has {len(inner)} characters, it can have maximum of {MAX_QUERY_LENGTH} characters")
    tokens = _tokenize(inner)
    predicate, position = _parse_or(tokens, 0)
    if position != len(tokens):
        raise QueryError()
    return predicate


def _tokenize(text: str) -> list[tuple[str, object]]:
    tokens, position = [], 0
    text = text + " "  # lets the operator look-ahead match at the end
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if not match:
            raise QueryError()
        position = match.end()
        if match["lparen"] or match["rparen"]:
            tokens.append(("paren", match["lparen"] or match["rparen"]))
        elif match["op"]:
            tokens.append(("op", match["op"]))
        else:
            tokens.append(("term", _term(match)))
    return tokens


def _parse_or(tokens, position):
    left, position = _parse_and(tokens, position)
    while position < len(tokens) and tokens[position] == ("op", "OR"):
        right, position = _parse_and(tokens, position + 1)
        left = (lambda a, b: lambda t: a(t) or b(t))(left, right)
    return left, position


def _parse_and(tokens, position):
    left, position = _parse_atom(tokens, position)
    while position < len(tokens) and tokens[position] == ("op", "AND"):
        right, position = _parse_atom(tokens, position + 1)
        left = (lambda a, b: lambda t: a(t) and b(t))(left, right)
    return left, position


def _parse_atom(tokens, position):
    if position >= len(tokens):
        raise QueryError()
    kind, value = tokens[position]
    if kind == "term":
        return value, position + 1
    if (kind, value) == ("paren", "("):
        inner, position = _parse_or(tokens, position + 1)
        if position < len(tokens) and tokens[position] == ("paren", ")"):
            return inner, position + 1
    raise QueryError()


def _term(match: re.Match) -> Predicate:
    key, cmp = match["key"], match["cmp"]
    if match["null"]:
        value = None
    elif match["number"] is not None:
        value = int(match["number"])
    elif match["bool"]:
        value = match["bool"] == "true"
    else:
        value = match["string"]

    if key == "tag":
        if cmp:
            raise QueryError()
        if value is None:
            return lambda t: not t.get("tags")
        wanted = str(value).lower()
        return lambda t: wanted in (tag.lower() for tag in t.get("tags") or [])
    if key == "type":
        return lambda t: t.get("type") == value
    if key in _INTEGER_FIELDS:
        attribute = _INTEGER_FIELDS[key]
        if value is not None and not isinstance(value, int):
            raise QueryError()
        if cmp == ">":
            return lambda t: t.get(attribute) is not None and t[attribute] >= value
        if cmp == "<":
            return lambda t: t.get(attribute) is not None and t[attribute] <= value
        return lambda t: t.get(attribute) == value
    if key in _DATE_FIELDS:
        bound = parse_timestamp(value) if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        if bound is None or not cmp:
            raise QueryError()
        day = bound.date()
        if cmp == ">":
            return lambda t: parse_timestamp(t[key]).date() >= day
        return lambda t: parse_timestamp(t[key]).date() <= day
    raise QueryError(field=key, message="Unexpected/invalid field in request", code="invalid_field")
