"""Text from outside (query parameters, headers, provider data) before it reaches a query.

PostgreSQL refuses a NUL in any text value (a DataError, so a 500) and SQLite's LIKE stops
at one, so "a\\x00b" would match everything; no other control character belongs in a name,
an id or a search either. Every such value is checked here, by one rule.
"""

import re

from models_api.errors import InvalidRequest

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # C0, DEL, C1, lone surrogates


def has_control(value: str) -> bool:
    return CONTROL.search(value) is not None


def without_controls(value: str) -> str:
    return CONTROL.sub("", value)


def text_param(name: str, value: str, *, kind: str = "Query parameter") -> str:
    """`value`, or a 400 naming `name` when either holds a control character (NUL, ...)."""
    if has_control(name) or has_control(value):
        shown = CONTROL.sub("?", name)[:60]
        raise InvalidRequest(
            f"{kind} {shown!r} contains a control character (such as NUL); remove it.",
            param=name,
            code="invalid_parameter",
        )
    return value
