"""The JSON body of a model call, read within GATEWAY_MAX_REQUEST_BYTES and checked.

Read here, never through request.body: Django checks request.body against its own
DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which stays the limit for the admin console, while
these routes take prompts and images up to GATEWAY_MAX_REQUEST_BYTES. Reading straight
from wsgi.input also serves chunked uploads, which carry no Content-Length and which
Django's own reading would take for an empty body.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from models_api.errors import InvalidRequest
from models_api.outbound.answers import decode_json

BLOCK = 64 * 1024
KINDS = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


@dataclass(frozen=True)
class JsonBody:
    """The body as the client sent it (`raw`, to forward unchanged) and as parsed (`data`)."""

    raw: bytes
    data: dict

    @property
    def model(self) -> str:
        return self.data["model"]

    @property
    def stream(self) -> bool:
        return self.data.get("stream") is True


def read_json_body(request, *, limit: int | None = None) -> JsonBody:
    """Read and check the body of a POST to /v1/chat/completions, /completions, /embeddings.

    `request` is Django's or DRF's request; `limit` defaults to GATEWAY_MAX_REQUEST_BYTES.
    Raises InvalidRequest: 413 over the limit (by Content-Length before reading, else by
    the bytes read), 400 for a body that is empty, not JSON or not an object, with no
    string `model` (param "model"), or with a `stream` that is not a boolean.
    """
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    limit = settings.GATEWAY_MAX_REQUEST_BYTES if limit is None else limit
    raw = getattr(request, "_body", None)
    if raw is None:
        raw = _read(request, limit)
    if len(raw) > limit:
        raise _too_large(limit)
    data = _parse(raw)
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest(
            'The request body needs "model", a string naming the model to call '
            '(an id from GET /v1/models, e.g. "@my-virtual-key/gpt-4o-mini").',
            param="model",
            code="missing_model" if model is None else "invalid_model",
        )
    if "stream" in data and not isinstance(data["stream"], bool):
        raise InvalidRequest('"stream" must be true or false.', param="stream", code="invalid_type")
    return JsonBody(raw=raw, data=data)


def _read(request: HttpRequest, limit: int) -> bytes:
    meta = request.META
    declared = str(meta.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if not declared.isdigit():
            raise InvalidRequest("The Content-Length header is not a number.", code="bad_request")
        if int(declared) > limit:
            raise _too_large(limit)
        raw = _read_blocks(request.read, limit)  # Django's stream stops at Content-Length
    elif _terminated(meta):
        raw = _read_blocks(meta["wsgi.input"].read, limit)
    else:
        raw = b""
    # Later readers of request.body get the same bytes instead of an error.
    request._body = raw
    return raw


def _terminated(meta) -> bool:
    """The server ends wsgi.input at the end of this body, so it may be read to its end: a
    chunked HTTP/1.1 upload, a server that says so, or HTTP/2 and 3, whose bodies are framed.
    Elsewhere (wsgiref, runserver) a read could wait on the connection's next request."""
    chunked = "chunked" in str(meta.get("HTTP_TRANSFER_ENCODING", "")).lower()
    framed = str(meta.get("SERVER_PROTOCOL", "")).upper().startswith(("HTTP/2", "HTTP/3"))
    terminated = meta.get("wsgi.input_terminated") is True
    return "wsgi.input" in meta and (chunked or framed or terminated)


def _read_blocks(read, limit: int) -> bytes:
    """Up to limit + 1 bytes: one past the limit is enough to know the body is too large."""
    parts, size = [], 0
    while size <= limit:
        block = read(min(BLOCK, limit + 1 - size))
        if not block:
            break
        parts.append(block)
        size += len(block)
    return b"".join(parts)


def _parse(raw: bytes) -> dict:
    if not raw.strip():
        raise InvalidRequest(
            'The request body is empty; send a JSON object with "model".', code="invalid_json"
        )
    try:
        data = decode_json(raw)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}.",
            code="invalid_json",
        ) from None
    except UnicodeDecodeError:
        raise InvalidRequest(
            "The request body is not valid JSON: it is not UTF-8 text.", code="invalid_json"
        ) from None
    except (ValueError, RecursionError):
        raise InvalidRequest(
            "The request body is not valid JSON (or is nested too deeply).", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        kind = KINDS.get(type(data), "a number")
        raise InvalidRequest(
            f"The request body must be a JSON object, not {kind}.", code="invalid_json"
        )
    return data


def _too_large(limit: int) -> InvalidRequest:
    return InvalidRequest(
        f"The request body is larger than {limit} bytes (GATEWAY_MAX_REQUEST_BYTES).",
        status=413,
        code="request_too_large",
    )
