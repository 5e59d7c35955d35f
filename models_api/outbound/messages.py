"""A provider's own error message, from any of its error shapes, with the call's secrets removed."""

import json
from collections.abc import Iterable

import requests

SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
SECRET_PARAMS = ("key", "api_key", "access_token")


def error_message(body: bytes, response: requests.Response, hidden: list[str]) -> str:
    """The provider's own message, from any of the error shapes in reference/providers.md.

    Secrets are removed before the message is shortened, so none is cut in half and kept.
    """
    try:
        message = _message_from(json.loads(body))
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace").strip()
        message = text if text and not text.startswith("<") else ""
    message = " ".join(_scrub(message, hidden).split())[:500]
    aws_type = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
    if aws_type:
        message = f"{aws_type}: {message}" if message else aws_type
    return message or f"HTTP {response.status_code} {response.reason or ''} with no message".strip()


def _message_from(data: object) -> str:
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return ""
    for key in ("error", "message", "Message", "detail"):
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("msg") or value.get("error")
        elif isinstance(value, list):  # FastAPI validation errors: [{"msg": ...}, ...]
            value = "; ".join(
                str(i.get("msg", i)) if isinstance(i, dict) else str(i) for i in value
            )
        if isinstance(value, str) and value:
            return value
    return ""


def call_secrets(headers: dict, params: dict, extra: Iterable[str]) -> list[str]:
    """The secrets a call carries (credential headers and parameters, and `extra`), to scrub."""
    values = list(extra)
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            values.append(value)
            values.append(value.split(" ", 1)[-1])  # the token without "Bearer "
    values.extend(v for k, v in params.items() if k.lower() in SECRET_PARAMS and v)
    # Longest first, so a token is removed whole before any value it contains.
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 4}, key=len, reverse=True)


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, "[REDACTED]")
    return message
