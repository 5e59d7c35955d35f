"""AWS Bedrock Converse to and from OpenAI chat: request, answer, event-stream frames, errors.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
The model id goes in the URL (/model/{id}/converse or /converse-stream), not in the body.
"""

import json
import struct
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models_api.errors import BadGateway
from models_api.providers import fields
from models_api.providers import openai_messages as msgs
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.openai_request import Param, invalid

PROVIDER = "bedrock"
REFUSED = tuple(req.UNSUPPORTED)
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}
# :exception-type of a frame inside a stream -> the status Bedrock gives the same error.
STREAM_ERRORS = {
    "validationException": 400,
    "modelStreamErrorException": 424,
    "throttlingException": 429,
    "internalServerException": 500,
    "serviceUnavailableException": 503,
}


def _text_format(value: Any, name: str) -> dict | None:
    kind, spec = req.response_format({name: value})
    if kind == "json_object":
        raise invalid(name, "bedrock has no JSON-object mode; send a json_schema format.")
    if not spec:
        return None
    # botocore's model: JsonSchemaDefinition holds the schema as a JSON string.
    schema = {"schema": json.dumps(spec["schema"])}
    schema.update((k, spec[k]) for k in ("name", "description") if isinstance(spec.get(k), str))
    return {"type": "json_schema", "structure": {"jsonSchema": schema}}


PARAMS = {
    "max_tokens": Param("inferenceConfig.maxTokens", req.positive_int),
    "max_completion_tokens": Param("inferenceConfig.maxTokens", req.positive_int),
    "temperature": Param("inferenceConfig.temperature", req.number(0, 1)),
    "top_p": Param("inferenceConfig.topP", req.number(0, 1)),
    "stop": Param("inferenceConfig.stopSequences", req.stop_list),
    "top_k": Param("additionalModelRequestFields.top_k", req.positive_int),
    "response_format": Param("outputConfig.textFormat", _text_format),
}


def chat_request(body: Mapping, *, model: str) -> dict:
    """The Converse body for an OpenAI chat body.

    `seed`, `user` and `parallel_tool_calls` have no Converse equivalent and are not sent.
    """
    req.refuse(body, REFUSED, PROVIDER)
    system, turns = msgs.conversation(body, SPELLING, PROVIDER)
    out: dict = {"messages": [{"role": role, "content": blocks} for role, blocks in turns]}
    tool_history = any("toolUse" in b or "toolResult" in b for _, blocks in turns for b in blocks)
    if system:
        out["system"] = system
    req.apply(body, PARAMS, out)
    config = _tool_config(body, tool_history)
    if config:
        out["toolConfig"] = config
    return out


def _tool_result(call_id: str, name: str | None, text: str, where: str) -> dict:
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": text}]}}


def _user_part(part: dict, where: str) -> dict:
    kind = part["type"]
    if kind == "text":
        return {"text": msgs.text_of([part], where)}
    if kind == "image_url":
        url = msgs.image_url(part, where)
        found = msgs.data_uri(url, f"{where}.image_url.url")
        if found is None and url.startswith("s3://"):
            return {"image": {"format": _format(url), "source": {"s3Location": {"uri": url}}}}
        if found is None:
            # Converse takes image bytes or S3 only; fetching a URL is not a translation's job.
            raise invalid(f"{where}.image_url.url", "bedrock takes images as data: or s3:// URIs.")
        if found[0] not in IMAGE_FORMATS:
            raise invalid(
                f"{where}.image_url.url", f"bedrock takes {sorted(IMAGE_FORMATS)} images."
            )
        return {"image": {"format": IMAGE_FORMATS[found[0]], "source": {"bytes": found[1]}}}
    raise invalid(f"{where}.type", f"bedrock cannot take '{kind}' content here.")


def _format(url: str) -> str:
    extension = url.rsplit(".", 1)[-1].lower()
    found = {"jpg": "jpeg"}.get(extension, extension)
    if found not in IMAGE_FORMATS.values():
        raise invalid("messages", f"bedrock cannot tell the image format of {url[:80]!r}.")
    return found


SPELLING = msgs.Spelling(
    system=lambda text: {"text": text},
    user_part=_user_part,
    text=lambda text: {"text": text},
    call=lambda call_id, name, args: {
        "toolUse": {"toolUseId": call_id, "name": name, "input": args}
    },
    result=_tool_result,
    is_result=lambda block: "toolResult" in block,
)


def _tool_config(body: Mapping, tool_history: bool) -> dict | None:
    tools = []
    for function in req.functions(body):
        spec = {"name": function["name"]}
        if function.get("description"):
            spec["description"] = function["description"]
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        spec["inputSchema"] = {"json": schema}
        if function.get("strict"):
            spec["strict"] = True
        tools.append({"toolSpec": spec})
    kind, name = req.tool_choice(body) or ("auto", None)
    if not tools:
        return None
    if kind == "none":
        if tool_history:
            # Converse has no "none" and needs toolConfig once tools were used.
            raise invalid(
                "tool_choice",
                "bedrock cannot forbid tool calls in a conversation "
                "that already used tools; leave tool_choice out.",
            )
        return None
    choice = {"auto": {"auto": {}}, "required": {"any": {}}}.get(kind) or {"tool": {"name": name}}
    return {"tools": tools, "toolChoice": choice}


def chat_response(data: object, *, model: str) -> dict:
    """The OpenAI chat.completion for a Converse answer (Converse has no id: one is made)."""
    data = shapes.obj(data, PROVIDER)
    output = shapes.obj(data.get("output"), PROVIDER, "output")
    message = shapes.obj(output.get("message"), PROVIDER, "message")
    text, calls = [], []
    for block in shapes.seq(message.get("content"), PROVIDER, "content"):
        block = shapes.obj(block, PROVIDER, "content block")
        if "text" in block:
            text.append(shapes.string(block, "text", PROVIDER))
        elif "toolUse" in block:
            use = shapes.obj(block["toolUse"], PROVIDER, "toolUse")
            call_id, name = (shapes.string(use, k, PROVIDER) for k in ("toolUseId", "name"))
            calls.append(shapes.tool_call(call_id, name, use.get("input") or {}))
        # reasoningContent and citationsContent have no OpenAI counterpart.
    finish = shapes.finish(data.get("stopReason"), FINISH, PROVIDER)
    choice = shapes.choice(0, "".join(text), calls, finish)
    usage = _usage(shapes.obj(data.get("usage") or {}, PROVIDER, "usage"))
    return shapes.completion(id=None, model=model, choices=[choice], usage=usage)


def _usage(found: dict) -> dict:
    given, output = (shapes.count(found.get(k), PROVIDER) for k in ("inputTokens", "outputTokens"))
    read = shapes.count(found.get("cacheReadInputTokens"), PROVIDER)
    write = shapes.count(found.get("cacheWriteInputTokens"), PROVIDER)
    # Claude's inputTokens leaves out cache reads and writes, and its totalTokens counts them;
    # a model whose totalTokens is just input + output already counts them in inputTokens.
    inclusive = (read or write) and found.get("totalTokens") == given + output
    prompt = given if inclusive else given + read + write
    cached = read if "cacheReadInputTokens" in found else None
    return shapes.usage(prompt, output, cached=cached, cache_write=write)


def chat_stream(events: Iterable[tuple[str, object]], *, model: str) -> Iterator[dict]:
    """OpenAI chunks for ConverseStream events, as bedrock_events decodes them."""
    chunks, blocks, finished = None, {}, False  # blocks: contentBlockIndex -> tool-call index
    for name, raw in events:
        if raw is shapes.IDLE:  # a tick of the provider's silence, passed back up
            yield raw
            continue
        data = shapes.obj(raw, PROVIDER, "stream event")
        if chunks is None:
            if name != "messageStart":
                raise BadGateway(
                    "bedrock's stream did not open with messageStart.", provider=PROVIDER
                )
            chunks = shapes.Chunks(model=model)
            yield chunks.role()
        elif name == "contentBlockStart":
            start = shapes.obj(data.get("start") or {}, PROVIDER, "contentBlockStart")
            if "toolUse" in start:
                use = shapes.obj(start["toolUse"], PROVIDER, "toolUse")
                blocks[data.get("contentBlockIndex")] = k = len(blocks)
                ids = (shapes.string(use, key, PROVIDER) for key in ("toolUseId", "name"))
                yield chunks.tool_start(k, *ids)
        elif name == "contentBlockDelta":
            yield from _delta(chunks, blocks, data)
        elif name == "messageStop":
            finished = True
            yield chunks.finish(shapes.finish(data.get("stopReason"), FINISH, PROVIDER))
        elif name == "metadata" and finished:
            yield chunks.usage(_usage(shapes.obj(data.get("usage") or {}, PROVIDER, "usage")))
            return
        # contentBlockStop, and event types added later, carry nothing for OpenAI.
    raise BadGateway("bedrock's stream ended before its metadata event.", provider=PROVIDER)


def _delta(chunks: shapes.Chunks, blocks: dict, data: dict) -> Iterator[dict]:
    delta = shapes.obj(data.get("delta"), PROVIDER, "contentBlockDelta")
    if "text" in delta:
        text = shapes.string(delta, "text", PROVIDER)
        if text:
            yield chunks.text(text)
    elif "toolUse" in delta:
        k = blocks.get(data.get("contentBlockIndex"))
        if k is None:
            raise BadGateway(
                "bedrock sent tool input for a block it never started.", provider=PROVIDER
            )
        piece = shapes.string(shapes.obj(delta["toolUse"], PROVIDER, "toolUse"), "input", PROVIDER)
        if piece:
            yield chunks.tool_args(k, piece)
    # reasoningContent and citation deltas have no OpenAI counterpart.


def bedrock_events(chunks: Iterable[bytes]) -> Iterator[tuple[str, dict]]:
    """(event type, payload) per application/vnd.amazon.eventstream frame, CRCs checked.

    An exception frame raises the UpstreamError it stands for; a corrupt or cut frame BadGateway.
    """
    from botocore.eventstream import EventStreamBuffer, ParserError  # botocore is heavy to load

    buffer, pending = EventStreamBuffer(), 0
    try:
        for data in chunks:
            if not data:
                yield "", shapes.IDLE
                continue
            buffer.add_data(data)
            pending += len(data)
            for message in buffer:
                pending -= message.prelude.total_length
                yield _event(message.headers, message.payload)
    except (ParserError, struct.error, UnicodeDecodeError) as exc:
        raise BadGateway("bedrock sent a corrupt event-stream frame.", provider=PROVIDER) from exc
    if pending:
        raise BadGateway("bedrock's event stream ended inside a frame.", provider=PROVIDER)


def _event(headers: dict, payload: bytes) -> tuple[str, dict]:
    kind = headers.get(":message-type")
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        raise BadGateway("bedrock sent an event that is not JSON.", provider=PROVIDER) from None
    if kind == "event":
        return headers.get(":event-type", ""), data
    if kind == "exception":
        name = headers.get(":exception-type", "")
        status = STREAM_ERRORS.get(name, 502)
        raise shapes.upstream(PROVIDER, error_message(status, data), status=status, code=name)
    if kind == "error":
        message, code = headers.get(":error-message"), headers.get(":error-code")
        raise shapes.upstream(PROVIDER, message, status=502, code=code)
    raise BadGateway("bedrock sent an event-stream frame of no known type.", provider=PROVIDER)


def error_message(status: int, data: object) -> str:
    """The message of a Bedrock error body {"message": ...}."""
    found = fields.mapping(data)
    message = found.get("message") or found.get("Message")
    return message if isinstance(message, str) and message else f"bedrock answered {status}."


def error_type(headers: Mapping[str, str], data: object) -> str | None:
    """The AWS error code: x-amzn-ErrorType without its ':...' and '...#' parts, else the body's."""
    found = headers.get("x-amzn-ErrorType") or headers.get("x-amzn-errortype") or ""
    found = found.split(":")[0].rsplit("#", 1)[-1]
    if not found and isinstance(data, dict):
        found = str(data.get("code") or data.get("__type") or "").rsplit("#", 1)[-1]
    return found or None
