"""Cohere v2 chat to and from OpenAI chat: request, answer, stream events, errors.

https://docs.cohere.com/reference/chat
https://docs.cohere.com/reference/chat-stream
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models_api.errors import BadGateway
from models_api.providers import openai_messages as msgs
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.openai_request import Param, invalid

PROVIDER = "cohere"
REFUSED = (
    "n",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "audio",
    "modalities",
    "web_search_options",
)
FINISH = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
    "TIMEOUT": "stop",
}


def _flag(value: Any, name: str) -> bool | None:
    if not isinstance(value, bool):
        raise invalid(name, f"'{name}' must be true or false.")
    return value or None


def _response_format(value: Any, name: str) -> dict | None:
    kind, spec = req.response_format({name: value})
    if kind == "text":
        return None
    found = {"type": "json_object"}
    if spec:
        found["json_schema"] = spec["schema"]  # the schema itself, not OpenAI's wrapper
    return found


PARAMS = {
    "max_tokens": Param("max_tokens", req.positive_int),
    "max_completion_tokens": Param("max_tokens", req.positive_int),
    "stop": Param("stop_sequences", req.stop_list),
    "temperature": Param("temperature", req.number(0, 2)),
    "top_p": Param("p", req.number(0, 1)),
    "top_k": Param("k", req.positive_int),
    "seed": Param("seed", req.integer),
    "frequency_penalty": Param("frequency_penalty", req.number(-2, 2)),
    "presence_penalty": Param("presence_penalty", req.number(-2, 2)),
    "response_format": Param("response_format", _response_format),
    "stream": Param("stream", _flag),
}


def chat_request(body: Mapping, *, model: str) -> dict:
    """The /v2/chat body for an OpenAI chat body.

    `user`, `metadata` and `parallel_tool_calls` have no Cohere equivalent and are not sent.
    """
    req.refuse(body, REFUSED, PROVIDER)
    out = {"model": model, "messages": _messages(msgs.messages(body))}
    req.apply(body, PARAMS, out)
    functions = req.functions(body)
    kind, name = req.tool_choice(body) or ("auto", None)
    if kind == "named":
        # No named choice in v2: offering only that tool and requiring a call means the same.
        functions = [f for f in functions if f["name"] == name]
    if functions:
        out["tools"] = [{"type": "function", "function": _function(f)} for f in functions]
        if any(f.get("strict") for f in functions):
            out["strict_tools"] = True
        if kind != "auto":
            out["tool_choice"] = "NONE" if kind == "none" else "REQUIRED"
    return out


def _function(function: dict) -> dict:
    found = {"name": function["name"]}
    found.update((k, function[k]) for k in ("description", "parameters") if function.get(k))
    return found


def _messages(found: list[dict]) -> list[dict]:
    turns = []
    for i, message in enumerate(found):
        role, where = message["role"], f"messages[{i}]"
        content = message.get("content")
        if role in ("system", "developer"):
            text = msgs.text_of(content, f"{where}.content")
            turns.append({"role": "system", "content": text} if text else None)
        elif role == "user":
            turns.append({"role": "user", "content": _user_content(content, f"{where}.content")})
        elif role == "assistant":
            turn = {"role": "assistant"}
            text = msgs.text_of(content, f"{where}.content")
            if text:
                turn["content"] = text
            calls = msgs.tool_calls(message, where)
            if calls:
                turn["tool_calls"] = [
                    shapes.tool_call(c_id, name, args) for c_id, name, args in calls
                ]
            turns.append(turn if len(turn) > 1 else None)
        elif role == "tool":
            text = msgs.text_of(content, f"{where}.content")
            turn = {"role": "tool", "tool_call_id": msgs.tool_call_id(message, where)}
            turns.append({**turn, "content": text})
        else:
            raise invalid(f"{where}.role", f"cohere has no '{role}' role.")
    turns = [turn for turn in turns if turn and turn.get("content", True) != []]
    if not turns:
        raise invalid("messages", "The messages hold no content to send.")
    return turns


def _user_content(content: Any, where: str) -> str | list[dict]:
    items = msgs.parts(content, where)
    if all(p["type"] == "text" for p in items):
        return msgs.text_of(items, where) or []
    blocks = []
    for j, part in enumerate(items):
        if part["type"] == "text":
            blocks.append({"type": "text", "text": msgs.text_of([part], f"{where}[{j}]")})
        elif part["type"] == "image_url":
            url = msgs.image_url(part, f"{where}[{j}]")
            msgs.data_uri(url, f"{where}[{j}].image_url.url")  # checks a data: URI's form
            blocks.append({"type": "image_url", "image_url": {"url": url}})
        else:
            raise invalid(f"{where}[{j}].type", f"cohere cannot take '{part['type']}' content.")
    return blocks


def chat_response(data: object, *, model: str) -> dict:
    """The OpenAI chat.completion for a /v2/chat answer."""
    data = shapes.obj(data, PROVIDER)
    _raise_error(data.get("finish_reason"), None)
    message = shapes.obj(data.get("message"), PROVIDER, "message")
    text = []
    for block in shapes.seq(message.get("content"), PROVIDER, "content"):
        block = shapes.obj(block, PROVIDER, "content block")
        if block.get("type") == "text":
            text.append(shapes.string(block, "text", PROVIDER))
        # thinking blocks are not part of OpenAI's message.
    calls = []
    for call in shapes.seq(message.get("tool_calls"), PROVIDER, "tool_calls"):
        call = shapes.obj(call, PROVIDER, "tool call")
        function = shapes.obj(call.get("function"), PROVIDER, "tool call")
        name = shapes.string(function, "name", PROVIDER)
        args = function.get("arguments") or "{}"
        calls.append(shapes.tool_call(call.get("id") or shapes.new_id("call_"), name, args))
    finish = shapes.finish(data.get("finish_reason"), FINISH, PROVIDER)
    choice = shapes.choice(0, "".join(text), calls, finish)
    usage = _usage(shapes.obj(data.get("usage") or {}, PROVIDER, "usage"))
    return shapes.completion(id=data.get("id"), model=model, choices=[choice], usage=usage)


def _raise_error(reason: Any, error: Any) -> None:
    # PK and LiteLLM report ERROR as stop, hiding that the answer broke off.
    if reason == "ERROR" or error:
        text = error if isinstance(error, str) and error else "cohere stopped with an error."
        raise shapes.upstream(PROVIDER, text, status=502, code="generation_error")


def _usage(found: dict) -> dict:
    counts = found.get("tokens") or found.get("billed_units") or {}
    counts = shapes.obj(counts, PROVIDER, "usage")
    prompt = shapes.count(counts.get("input_tokens"), PROVIDER)
    completion = shapes.count(counts.get("output_tokens"), PROVIDER)
    cached = found.get("cached_tokens")
    cached = shapes.count(cached, PROVIDER) if cached is not None else None
    return shapes.usage(prompt, completion, cached=cached)


def chat_stream(events: Iterable[tuple[str, object]], *, model: str) -> Iterator[dict]:
    """OpenAI chunks for the SSE events of a streamed /v2/chat answer (ends at message-end)."""
    chunks, calls = None, {}  # calls: Cohere tool-call index -> OpenAI tool-call index
    for name, raw in events:
        if raw is shapes.IDLE:  # a tick of the provider's silence, passed back up
            yield raw
            continue
        data = shapes.obj(raw, PROVIDER, "stream event")
        kind = name or data.get("type")
        delta = shapes.obj(data.get("delta") or {}, PROVIDER, "delta")
        message = shapes.obj(delta.get("message") or {}, PROVIDER, "delta message")
        if chunks is None:
            if kind != "message-start":
                raise BadGateway(
                    "cohere's stream did not open with message-start.", provider=PROVIDER
                )
            chunks = shapes.Chunks(model=model, id=data.get("id"))
            yield chunks.role()
        elif kind == "content-delta":
            content = shapes.obj(message.get("content") or {}, PROVIDER, "content")
            if content.get("text"):
                yield chunks.text(shapes.string(content, "text", PROVIDER))
        elif kind == "tool-call-start":
            call = shapes.obj(message.get("tool_calls"), PROVIDER, "tool call")  # an object here
            function = shapes.obj(call.get("function"), PROVIDER, "tool call")
            calls[data.get("index")] = k = len(calls)
            name = shapes.string(function, "name", PROVIDER)
            args = function.get("arguments") or ""
            yield chunks.tool_start(k, call.get("id") or shapes.new_id("call_"), name, args)
        elif kind == "tool-call-delta":
            if data.get("index") not in calls:
                raise BadGateway(
                    "cohere sent tool input for a call it never started.", provider=PROVIDER
                )
            call = shapes.obj(message.get("tool_calls"), PROVIDER, "tool call")
            function = shapes.obj(call.get("function"), PROVIDER, "tool call")
            piece = shapes.string(function, "arguments", PROVIDER)
            if piece:
                yield chunks.tool_args(calls[data["index"]], piece)
        elif kind == "message-end":
            _raise_error(delta.get("finish_reason"), delta.get("error"))
            yield chunks.finish(shapes.finish(delta.get("finish_reason"), FINISH, PROVIDER))
            yield chunks.usage(_usage(shapes.obj(delta.get("usage") or {}, PROVIDER, "usage")))
            return
        # tool-plan-delta, content-start/-end, tool-call-end, citations and debug: nothing.
    raise BadGateway("cohere's stream ended before message-end.", provider=PROVIDER)


def error_message(status: int, data: object) -> str:
    """The message of a Cohere error body {"message": ...}."""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) and message else f"cohere answered {status}."
