"""Reading a provider's answer: status to gateway error, size cap, JSON, scrubbed messages."""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from time import monotonic
from urllib.parse import urlsplit

import orjson
import requests
from django.conf import settings
from urllib3.exceptions import HTTPError, ReadTimeoutError

from models_api import redaction
from models_api.errors import BadGateway, GatewayError, GatewayTimeout, UpstreamError
from models_api.outbound import transport

SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key", "x-portkey-api-key")
SECRET_PARAMS = ("key", "api_key", "access_token")
CHUNK = 64 * 1024
MAX_MESSAGE = 500  # characters of a provider's error message passed on


@dataclass(frozen=True)
class Rejection:
    """What the caller gets for a provider's error answer: the status to answer with, the
    provider's own message and code, and the seconds to wait before a retry (429 and 503).

    A native family reads its own error bodies into one (its ErrorReader); the others are
    read by _rejection here. A 503 is answered as the provider's temporary unavailability,
    a 504 as its timeout, any other 5xx as 502.
    """

    status: int
    message: str = ""
    code: str | None = None
    retry_after: str | None = None


# (HTTP status, response headers, decoded JSON body or None) -> Rejection
ErrorReader = Callable[[int, Mapping[str, str], object], Rejection]


def read_json(
    response: requests.Response,
    provider: str,
    budget: transport.Budget,
    hidden: list[str],
    read_error: ErrorReader | None = None,
) -> object:
    """The decoded JSON of a 2xx answer, else the GatewayError its status calls for."""
    status = response.status_code
    body = read_body(response, provider, budget) if status < 300 or status >= 400 else b""
    check_status(response, body, provider, hidden, read_error)
    try:
        return decode_json(body)
    except (ValueError, RecursionError):
        raise BadGateway(
            f"{provider} answered HTTP {status} with a body that is not JSON.", provider=provider
        ) from None


def check_status(
    response: requests.Response,
    body: bytes,
    provider: str,
    hidden: list[str],
    read_error: ErrorReader | None = None,
) -> None:
    """Raise what a non-2xx answer means (DESIGN section 6); `body` is its (capped) body,
    read by `read_error` when the provider's API has its own error shapes."""
    status = response.status_code
    if 300 <= status < 400:
        raise BadGateway(
            f"{provider} redirected the request (HTTP {status}); redirects are not followed. "
            "Check the provider's base URL.",
            provider=provider,
        )
    if status < 400:
        return
    if read_error is None:
        found = _rejection(body, response, hidden)
    else:
        found = read_error(status, response.headers, _json_or_none(body))
        message = _scrub(found.message, hidden) or _no_message(response)
        found = Rejection(found.status, message, found.code, found.retry_after)
    raise _error(provider, status, found)


def _error(provider: str, status: int, found: Rejection) -> GatewayError:
    message, code = found.message, found.code
    if found.status == 503:
        wait = found.retry_after or "10"
        return UpstreamError(
            f"{provider} is unavailable for now (HTTP {status}): {message}; retry in {wait} "
            "seconds.",
            status=503,
            code=code or "provider_unavailable",
            provider=provider,
            headers={"Retry-After": wait},
        )
    if found.status == 504:
        return GatewayTimeout(
            f"{provider} timed out (HTTP {status}): {message}", provider=provider, code=code
        )
    if found.status >= 500:
        return BadGateway(f"{provider} failed with HTTP {status}: {message}", provider=provider)
    retry = found.retry_after
    return UpstreamError(
        f"{provider} rejected the request (HTTP {status}): {message}",
        status=found.status,
        code=code,
        provider=provider,
        headers={"Retry-After": retry} if found.status == 429 and retry else None,
    )


def decode_json(body: bytes) -> object:
    """orjson (several times faster on a model list), or the standard library for what orjson
    refuses but Python's parser allows: UTF-16 bodies, NaN, nesting over 1,024 levels.
    (orjson reads an integer beyond 64 bits as a float; no model field holds one.)"""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def read_body(response: requests.Response, provider: str, budget: transport.Budget) -> bytes:
    """The whole body, within GATEWAY_MAX_RESPONSE_BYTES and the call's deadline."""
    limit = settings.GATEWAY_MAX_RESPONSE_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(provider, limit)
    try:
        if (
            declared.isdigit()
            and response.headers.get("Content-Encoding", "identity") == "identity"
        ):
            # Its length is known and within the cap: one read (urllib3 refuses a short one),
            # which the deadline's watchdog cuts like any other.
            body = response.raw.read(int(declared), decode_content=False)
        else:
            body = _read_chunks(response, provider, budget, limit)
    except (requests.exceptions.Timeout, ReadTimeoutError):
        raise timeout(provider, idle=budget.idle) from None
    except (requests.exceptions.RequestException, HTTPError):
        if budget.expired:
            raise timeout(provider) from None
        raise BadGateway(
            f"The connection to {provider} broke while reading its answer; try again.",
            provider=provider,
        ) from None
    if budget.expired:  # a body without Content-Length ends, cut short, at the deadline
        raise timeout(provider)
    return body


def _read_chunks(response, provider: str, budget: transport.Budget, limit: int) -> bytes:
    """A body of unknown length (or compressed), read as it comes, stopped at the cap."""
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(provider, limit)
        if budget.idle is None and monotonic() > budget.until:
            raise timeout(provider)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(provider: str, limit: int) -> BadGateway:
    return BadGateway(
        f"{provider} sent a response larger than {limit} bytes (GATEWAY_MAX_RESPONSE_BYTES).",
        provider=provider,
    )


def _rejection(body: bytes, response: requests.Response, hidden: list[str]) -> Rejection:
    """An OpenAI-compatible (or unknown) provider's error: its own message, from any of the
    error shapes in reference/providers.md; its 4xx status kept, any 5xx a 502."""
    try:
        message = _message_from(json.loads(body))
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace").strip()
        message = text if text and not text.startswith("<") else ""
    message = _scrub(message, hidden)
    aws_type = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
    if aws_type:
        message = f"{aws_type}: {message}" if message else aws_type
    status = response.status_code
    retry = response.headers.get("Retry-After") if status == 429 else None
    return Rejection(
        502 if status >= 500 else status, message or _no_message(response), None, retry
    )


def _scrub(message: str, hidden: list[str]) -> str:
    """Secrets are removed before the message is shortened, so none is cut in half and kept;
    the window scrubbed holds the longest secret past the kept length."""
    window = " ".join(message.split())[: MAX_MESSAGE + max(map(len, hidden), default=0)]
    return redaction.scrub(window, hidden)[:MAX_MESSAGE]


def _no_message(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.reason or ''} with no message".strip()


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


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


def secrets_of(
    headers: Mapping[str, str], params: Mapping[str, str], extra: Iterable[str]
) -> list[str]:
    """The values to scrub from messages: credential headers and parameters, and `extra`."""
    values = list(extra)
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            values.append(value.split(" ", 1)[-1])  # the token without "Bearer "
    values.extend(v for k, v in params.items() if k.lower() in SECRET_PARAMS and v)
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 4}, key=len, reverse=True)


def timeout(provider: str, *, idle: float | None = None) -> GatewayTimeout:
    if idle is not None:
        return GatewayTimeout(
            f"{provider} sent nothing for {idle:g} seconds while generating its answer "
            "(GATEWAY_STREAM_IDLE_TIMEOUT); try again later, or stream the answer.",
            provider=provider,
            code="upstream_idle_timeout",
        )
    return GatewayTimeout(
        f"{provider} did not answer within {settings.GATEWAY_UPSTREAM_TIMEOUT:g} seconds "
        "(GATEWAY_UPSTREAM_TIMEOUT); try again later.",
        provider=provider,
    )


def refused(provider: str, host: str) -> GatewayError:
    return BadGateway(
        f"The {provider} base URL host {host[:100]!r} resolves to a private address (loopback, "
        "private, link-local or metadata), which virtual key base URLs may not reach; an admin "
        "must add the host to GATEWAY_TRUSTED_CUSTOM_HOSTS.",
        provider=provider,
        code="private_address_refused",
    )


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
