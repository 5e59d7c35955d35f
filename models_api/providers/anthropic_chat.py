"""Anthropic Messages to and from OpenAI chat: request body, answer, stream events, errors.

https://docs.anthropic.com/en/api/messages
https://docs.anthropic.com/en/docs/build-with-claude/streaming
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models_api.errors import BadGateway
from models_api.providers import fields
from models_api.providers import openai_messages as msgs
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.openai_request import Param, invalid

PROVIDER = "anthropic"
# max_tokens is required by Anthropic; this is the smallest output cap among current Claude models.
DEFAULT_MAX_TOKENS = 4096
OVERLOADED_RETRY_AFTER = "10"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
REFUSED = tuple(req.UNSUPPORTED)
FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# https://docs.anthropic.com/en/api/errors (timeout_error's status is not documented)
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def _flag(value: Any, name: str) -> bool | None:
    if not isinstance(value, bool):
        raise invalid(name, f"'{name}' must be true or false.")
    return value or None


def _user_id(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise invalid(name, f"'{name}' must be a string.")
    return value


def _output_format(value: Any, name: str) -> dict | None:
    kind, spec = req.response_format({name: value})
    if kind == "json_object":
        raise invalid(name, "anthropic has no JSON-object mode; send a json_schema format.")
    return {"type": "json_schema", "schema": spec["schema"]} if spec else None


def _tools(value: Any, name: str) -> list[dict] | None:
    tools = []
    for function in req.functions({name: value}):
        tool = {"name": function["name"]}
        if function.get("description"):
            tool["description"] = function["description"]
        tool["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
        if function.get("strict"):
            tool["strict"] = True
        tools.append(tool)
    return tools or None


PARAMS = {
    "max_tokens": Param("max_tokens", req.positive_int),
    "max_completion_tokens": Param("max_tokens", req.positive_int),
    "stop": Param("stop_sequences", req.stop_list),
    "temperature": Param("temperature", req.number(0, 1)),
    "top_p": Param("top_p", req.number(0, 1)),
    "top_k": Param("top_k", req.positive_int),
    "user": Param("metadata.user_id", _user_id),
    "response_format": Param("output_config.format", _output_format),
    "tools": Param("tools", _tools),
    "stream": Param("stream", _flag),
}


def chat_request(body: Mapping, *, model: str) -> dict:
    """The /v1/messages body for an OpenAI chat body; `model` is Anthropic's model id."""
    req.refuse(body, REFUSED, PROVIDER)
    system, turns = msgs.conversation(body, SPELLING, PROVIDER)
    out = {"model": model, "messages": [{"role": r, "content": c} for r, c in turns]}
    if system:
        out["system"] = system
    req.apply(body, PARAMS, out)
    out.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    choice = _tool_choice(body, has_tools="tools" in out)
    if choice:
        out["tool_choice"] = choice
    return out


def _tool_result(call_id: str, name: str | None, text: str, where: str) -> dict:
    result = {"type": "tool_result", "tool_use_id": call_id}
    return {**result, "content": text} if text else result


def _user_part(part: dict, where: str) -> dict:
    kind = part["type"]
    if kind == "text":
        return {"type": "text", "text": msgs.text_of([part], where)}
    if kind == "image_url":
        url = msgs.image_url(part, where)
        found = msgs.data_uri(url, f"{where}.image_url.url")
        if found is None:
            if not url.startswith(("https://", "http://")):
                raise invalid(f"{where}.image_url.url", "Image URLs must be http(s) or data: URIs.")
            return {"type": "image", "source": {"type": "url", "url": url}}
        mime, data = found
        if mime not in IMAGE_TYPES:
            raise invalid(
                f"{where}.image_url.url", f"anthropic takes {sorted(IMAGE_TYPES)} images."
            )
        return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}
    if kind == "file":
        file = fields.mapping(part.get("file"))
        found = msgs.data_uri(file.get("file_data") or "-", f"{where}.file.file_data")
        if not found or found[0] != "application/pdf":
            raise invalid(f"{where}.file", "anthropic takes files as base64 PDF data: URIs only.")
        source = {"type": "base64", "media_type": found[0], "data": found[1]}
        return {"type": "document", "source": source}
    raise invalid(f"{where}.type", f"anthropic cannot take '{kind}' content.")


SPELLING = msgs.Spelling(
    system=lambda text: {"type": "text", "text": text},
    user_part=_user_part,
    text=lambda text: {"type": "text", "text": text},
    call=lambda call_id, name, args: {
        "type": "tool_use",
        "id": call_id,
        "name": name,
        "input": args,
    },
    result=_tool_result,
    is_result=lambda block: block["type"] == "tool_result",
)


def _tool_choice(body: Mapping, *, has_tools: bool) -> dict | None:
    found = req.tool_choice(body)
    if not has_tools:
        return None
    kind, name = found or ("auto", None)
    if kind == "none":
        return {"type": "none"}
    choice = {"auto": {"type": "auto"}, "required": {"type": "any"}}.get(kind)
    choice = choice or {"type": "tool", "name": name}
    if body.get("parallel_tool_calls") is False:
        choice["disable_parallel_tool_use"] = True
    elif found is None:
        return None
    return choice


def chat_response(data: object, *, model: str) -> dict:
    """The OpenAI chat.completion for a /v1/messages answer; `model` is what it reports."""
    data = shapes.obj(data, PROVIDER)
    if data.get("type") != "message":
        raise BadGateway("anthropic sent an answer that is not a message.", provider=PROVIDER)
    text, calls = [], []
    for block in shapes.seq(data.get("content"), PROVIDER, "content"):
        block = shapes.obj(block, PROVIDER, "content block")
        if block.get("type") == "text":
            text.append(shapes.string(block, "text", PROVIDER))
        elif block.get("type") == "tool_use":
            call_id, name = (shapes.string(block, k, PROVIDER) for k in ("id", "name"))
            calls.append(shapes.tool_call(call_id, name, block.get("input") or {}))
        # thinking, redacted_thinking and server-tool blocks have no OpenAI counterpart.
    finish = shapes.finish(data.get("stop_reason"), FINISH, PROVIDER)
    choice = shapes.choice(0, "".join(text), calls, finish)
    found = shapes.obj(data.get("usage") or {}, PROVIDER, "usage")
    return shapes.completion(id=data.get("id"), model=model, choices=[choice], usage=_usage(found))


def _usage(found: dict) -> dict:
    # input_tokens excludes the cache reads and writes, which OpenAI counts as prompt tokens.
    read = shapes.count(found.get("cache_read_input_tokens"), PROVIDER)
    write = shapes.count(found.get("cache_creation_input_tokens"), PROVIDER)
    prompt = shapes.count(found.get("input_tokens"), PROVIDER) + read + write
    completion = shapes.count(found.get("output_tokens"), PROVIDER)
    cached = read if "cache_read_input_tokens" in found else None
    return shapes.usage(prompt, completion, cached=cached, cache_write=write)


def chat_stream(events: Iterable[tuple[str, object]], *, model: str) -> Iterator[dict]:
    """OpenAI chunks for the SSE events of a streamed /v1/messages answer."""
    chunks, usage, reason, tools = None, {}, None, 0
    blocks: dict[Any, int | None] = {}  # block index -> OpenAI tool-call index (None for text)
    for name, raw in events:
        if raw is shapes.IDLE:  # a tick of the provider's silence, passed back up
            yield raw
            continue
        data = shapes.obj(raw, PROVIDER, "stream event")
        kind = name or data.get("type")
        if kind == "error":
            raise _stream_error(data)
        if kind == "ping":
            continue
        if chunks is None:
            if kind != "message_start":
                raise BadGateway(
                    "anthropic's stream did not open with message_start.", provider=PROVIDER
                )
            message = shapes.obj(data.get("message"), PROVIDER, "message_start")
            usage = dict(shapes.obj(message.get("usage") or {}, PROVIDER, "usage"))
            chunks = shapes.Chunks(model=model, id=message.get("id"))
            yield chunks.role()
        elif kind == "content_block_start":
            block = shapes.obj(data.get("content_block"), PROVIDER, "content block")
            blocks[data.get("index")] = None
            if block.get("type") == "tool_use":
                blocks[data.get("index")], tools = tools, tools + 1
                ids = (shapes.string(block, key, PROVIDER) for key in ("id", "name"))
                yield chunks.tool_start(tools - 1, *ids)
            elif block.get("type") == "text" and block.get("text"):
                yield chunks.text(shapes.string(block, "text", PROVIDER))
        elif kind == "content_block_delta":
            yield from _delta(chunks, blocks, data)
        elif kind == "message_delta":
            found = shapes.obj(data.get("usage") or {}, PROVIDER, "usage")
            usage.update((k, v) for k, v in found.items() if v is not None)  # cumulative
            delta = shapes.obj(data.get("delta") or {}, PROVIDER, "message_delta")
            reason = delta.get("stop_reason") or reason
        elif kind == "message_stop":
            yield chunks.finish(shapes.finish(reason, FINISH, PROVIDER))
            yield chunks.usage(_usage(usage))
            return
        # content_block_stop, and event types added later, carry nothing for OpenAI.
    raise BadGateway("anthropic's stream ended before message_stop.", provider=PROVIDER)


def _delta(chunks: shapes.Chunks, blocks: dict, data: dict) -> Iterator[dict]:
    delta = shapes.obj(data.get("delta"), PROVIDER, "content_block_delta")
    if data.get("index") not in blocks:
        raise BadGateway("anthropic sent a delta for a block it never started.", provider=PROVIDER)
    k = blocks[data["index"]]
    if delta.get("type") == "text_delta" and k is None:
        text = shapes.string(delta, "text", PROVIDER)
        if text:
            yield chunks.text(text)
    elif delta.get("type") == "input_json_delta" and k is not None:
        piece = shapes.string(delta, "partial_json", PROVIDER)
        if piece:
            yield chunks.tool_args(k, piece)
    elif delta.get("type") in ("text_delta", "input_json_delta"):
        raise BadGateway(
            "anthropic sent a delta of the wrong kind for its block.", provider=PROVIDER
        )
    # thinking_delta, signature_delta and citations_delta are not part of OpenAI's message.


def _stream_error(data: dict) -> Exception:
    error = fields.mapping(data.get("error"))
    status = ERROR_STATUS.get(error.get("type"), 502)
    status, headers = error_status(status, data)
    message = error_message(status, data)
    return shapes.upstream(
        PROVIDER, message, status=status, code=error.get("type"), headers=headers
    )


def error_message(status: int, data: object) -> str:
    """The message of an Anthropic error body {"type":"error","error":{"type","message"}}."""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else f"anthropic answered {status}."


def error_status(status: int, data: object, *, retry_after: str | None = None) -> tuple[int, dict]:
    """(status, headers) to answer with: 529 overloaded becomes 503 with Retry-After.

    `retry_after` is the provider's own Retry-After header, when it sent one.
    """
    error = data.get("error") if isinstance(data, dict) else None
    overloaded = isinstance(error, dict) and error.get("type") == "overloaded_error"
    if status == 529 or overloaded:
        return 503, {"Retry-After": retry_after or OVERLOADED_RETRY_AFTER}
    return status, {}
