"""Every request's input, checked once before any view reads it, and numbers read one way.

Hostile input must never reach the database as a server error: PostgreSQL refuses NUL in
text, and control characters have no place in anything a person types. So a request whose
query string, form or JSON holds one is refused here with 400 (a page, or problem+json for
the API), as is JSON nested deeper than anything the API takes. Bodies are capped by
MAX_CONTENT_LENGTH (413). Numbers typed into addresses and forms are ASCII digits only:
`str.isdigit()` also accepts "²", which `int()` then refuses. Words typed into a search
are matched as written: `%`, `_` and `\\` in them are not LIKE wildcards or escapes.
"""

import contextlib
import json
import re

from flask import Flask, request
from sqlalchemy import ColumnElement, SQLColumnExpression
from werkzeug.exceptions import BadRequest

# C0 controls and DEL, except tab, line feed and carriage return, which text areas send.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In an address or a header nothing is typed over several lines: every control is refused
# (a line break in `next=` would otherwise reach the Location header).
ADDRESS_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
JSON_DEPTH_AT_MOST = 20
DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(text: str | None) -> int | None:
    """The number written in ASCII digits (at most 18, so it fits any column), else None."""
    if text is None or not DIGITS.fullmatch(text):
        return None
    return int(text)


def containing(column: SQLColumnExpression[str], typed: str) -> ColumnElement[bool]:
    """`column` holds the typed text, ignoring case; `%`, `_` and `\\` in it match
    themselves (LIKE ... ESCAPE '/', with every `/`, `%` and `_` escaped)."""
    return column.icontains(typed, autoescape=True)


class HostileInput(BadRequest):
    description = (
        "The request holds characters that cannot be used, such as NUL. Nothing was saved."
    )


def _json_depth(body: bytes) -> int:
    """How deeply the JSON nests, counted without parsing it (parsing deep input recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _strings(value) -> list[str]:
    """Every key and string in parsed JSON, walked without recursion."""
    found, waiting = [], [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(key for key in item if isinstance(key, str))
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)
    return found


def check_request() -> None:
    """Refuse the request (400) if any of its input holds a control character, or its JSON
    nests too deeply. Malformed JSON is left for the API to answer as it always has."""
    in_address = [*request.args.keys(), *request.args.values()]
    header = request.headers.get("Last-Event-ID")
    if header is not None:
        in_address.append(header)
    if any(ADDRESS_CONTROL.search(text) for text in in_address):
        raise HostileInput()
    texts: list[str] = []
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
    elif request.content_length or request.mimetype == "application/json":
        body = request.get_data(cache=True)
        if body and request.path.startswith("/api/"):
            if _json_depth(body) > JSON_DEPTH_AT_MOST:
                raise HostileInput("The JSON nests too deeply.")
            with contextlib.suppress(ValueError):  # not JSON: the API's parser says so
                texts += _strings(json.loads(body))
    if any(CONTROL.search(text) for text in texts):
        raise HostileInput()


def init_app(app: Flask) -> None:
    app.before_request(check_request)
