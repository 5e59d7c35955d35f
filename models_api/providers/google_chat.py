"""Google Gemini generateContent to and from OpenAI chat: request, answer, stream, errors.

https://ai.google.dev/api/generate-content
Streams are :streamGenerateContent?alt=sse: each event is a whole GenerateContentResponse with
no event name and no end marker, so the last finishReason ends the answer.
"""

import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models_api.errors import BadGateway, InvalidRequest
from models_api.providers import fields
from models_api.providers import openai_messages as msgs
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes
from models_api.providers.openai_request import Param, invalid

PROVIDER = "google"
REFUSED = ("logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "web_search_options")
FILTERED = [
    "SAFETY",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "LANGUAGE",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "NO_IMAGE",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
]
FINISH = {
    "STOP": "stop",
    "FINISH_REASON_UNSPECIFIED": "stop",
    "MAX_TOKENS": "length",
    "MALFORMED_FUNCTION_CALL": "stop",
    "UNEXPECTED_TOOL_CALL": "stop",
    "TOO_MANY_TOOL_CALLS": "stop",
    "RECITATION": "content_filter",
    "OTHER": "content_filter",
    **dict.fromkeys(FILTERED, "content_filter"),
}
TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "named": "ANY"}


PARAMS = {
    "temperature": Param("generationConfig.temperature", req.number(0, 2)),
    "top_p": Param("generationConfig.topP", req.number(0, 1)),
    "top_k": Param("generationConfig.topK", req.positive_int),
    "max_tokens": Param("generationConfig.maxOutputTokens", req.positive_int),
    "max_completion_tokens": Param("generationConfig.maxOutputTokens", req.positive_int),
    "stop": Param("generationConfig.stopSequences", req.stop_list),
    "n": Param("generationConfig.candidateCount", req.positive_int),
    "seed": Param("generationConfig.seed", req.integer),
    "presence_penalty": Param("generationConfig.presencePenalty", req.number(-2, 2)),
    "frequency_penalty": Param("generationConfig.frequencyPenalty", req.number(-2, 2)),
}


def chat_request(body: Mapping, *, model: str) -> dict:
    """The generateContent body for an OpenAI chat body (the model and `stream` go in the URL).

    `user`, `metadata` and `parallel_tool_calls` have no Gemini equivalent and are not sent.
    """
    req.refuse(body, REFUSED, PROVIDER)
    system, turns = msgs.conversation(body, SPELLING, PROVIDER)
    out: dict = {"contents": [{"role": role, "parts": parts} for role, parts in turns]}
    if system:
        out["systemInstruction"] = {"parts": system}
    req.apply(body, PARAMS, out)
    kind, spec = req.response_format(body)
    if kind != "text":
        out.setdefault("generationConfig", {})["responseMimeType"] = "application/json"
    if spec:
        out["generationConfig"]["responseJsonSchema"] = spec["schema"]
    declarations = [_declaration(f) for f in req.functions(body)]
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
    choice = req.tool_choice(body)
    if choice and declarations:
        config = {"mode": TOOL_MODES[choice[0]]}
        if choice[1]:
            config["allowedFunctionNames"] = [choice[1]]
        out["toolConfig"] = {"functionCallingConfig": config}
    return out


def _declaration(function: dict) -> dict:
    found = {"name": function["name"]}
    if function.get("description"):
        found["description"] = function["description"]
    if function.get("parameters"):
        # JSON Schema as is; responseSchema-style `parameters` takes only an OpenAPI subset.
        found["parametersJsonSchema"] = function["parameters"]
    return found


def _function_response(call_id: str, name: str | None, text: str, where: str) -> dict:
    if name is None:
        raise invalid(f"{where}.tool_call_id", "No earlier assistant tool call has this id.")
    return {"functionResponse": {"name": name, "response": {"output": text}}}


def _user_part(part: dict, where: str) -> dict:
    kind = part["type"]
    if kind == "text":
        return {"text": msgs.text_of([part], where)}
    if kind == "image_url":
        url = msgs.image_url(part, where)
        found = msgs.data_uri(url, f"{where}.image_url.url")
        if found:
            return {"inlineData": {"mimeType": found[0], "data": found[1]}}
        if not url.startswith(("https://", "http://", "gs://")):
            raise invalid(f"{where}.image_url.url", "Image URLs must be http(s), gs:// or data:.")
        mime = mimetypes.guess_type(url.split("?")[0])[0] or "image/jpeg"
        return {"fileData": {"mimeType": mime, "fileUri": url}}
    if kind == "input_audio":
        audio = fields.mapping(part.get("input_audio"))
        if audio.get("format") not in ("wav", "mp3") or not isinstance(audio.get("data"), str):
            raise invalid(f"{where}.input_audio", "input_audio needs base64 data and wav or mp3.")
        return {"inlineData": {"mimeType": f"audio/{audio['format']}", "data": audio["data"]}}
    if kind == "file":
        file = fields.mapping(part.get("file"))
        found = msgs.data_uri(file.get("file_data") or "-", f"{where}.file.file_data")
        if not found:
            raise invalid(f"{where}.file", "google takes files as base64 data: URIs here.")
        return {"inlineData": {"mimeType": found[0], "data": found[1]}}
    raise invalid(f"{where}.type", f"google cannot take '{kind}' content.")


SPELLING = msgs.Spelling(
    system=lambda text: {"text": text},
    user_part=_user_part,
    text=lambda text: {"text": text},
    call=lambda call_id, name, args: {"functionCall": {"name": name, "args": args}},
    result=_function_response,
    is_result=lambda part: "functionResponse" in part,
    assistant="model",
)


def chat_response(data: object, *, model: str) -> dict:
    """The OpenAI chat.completion for a generateContent answer; one choice per candidate."""
    data = shapes.obj(data, PROVIDER)
    _refuse_blocked(data)
    choices = []
    for position, candidate in enumerate(
        shapes.seq(data.get("candidates"), PROVIDER, "candidates")
    ):
        candidate = shapes.obj(candidate, PROVIDER, "candidate")
        text, calls = _parts(candidate)
        finish = _finish(candidate.get("finishReason"), bool(calls))
        choices.append(shapes.choice(_index(candidate, position), text, calls, finish))
    if not choices:
        raise BadGateway("google sent an answer with no candidates.", provider=PROVIDER)
    choices.sort(key=lambda c: c["index"])
    usage = _usage(shapes.obj(data.get("usageMetadata") or {}, PROVIDER, "usageMetadata"))
    return shapes.completion(id=data.get("responseId"), model=model, choices=choices, usage=usage)


def _refuse_blocked(data: dict) -> None:
    feedback = fields.mapping(data.get("promptFeedback"))
    reason = feedback.get("blockReason")
    if reason and not data.get("candidates"):
        detail = feedback.get("blockReasonMessage")
        raise InvalidRequest(
            f"google blocked the prompt (blockReason {reason})"
            + (f": {detail}" if detail else "."),
            param="messages",
            code="content_filter",
        )


def _index(candidate: dict, position: int) -> int:
    index = candidate.get("index", position)  # proto3 JSON omits a 0 index
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise BadGateway("google sent a candidate index that is not a number.", provider=PROVIDER)
    return index


def _parts(candidate: dict) -> tuple[str, list[dict]]:
    content = shapes.obj(candidate.get("content") or {}, PROVIDER, "content")
    text, calls = [], []
    for part in shapes.seq(content.get("parts"), PROVIDER, "parts"):
        part = shapes.obj(part, PROVIDER, "part")
        if "text" in part and not part.get("thought"):
            text.append(shapes.string(part, "text", PROVIDER))
        elif "functionCall" in part:
            call = shapes.obj(part["functionCall"], PROVIDER, "functionCall")
            call_id = call.get("id") or shapes.new_id("call_")
            name = shapes.string(call, "name", PROVIDER)
            calls.append(shapes.tool_call(call_id, name, call.get("args") or {}))
    return "".join(text), calls


def _finish(reason: Any, called: bool) -> str:
    finish = shapes.finish(reason, FINISH, PROVIDER)
    # Gemini reports STOP after function calls; OpenAI clients look for tool_calls.
    return "tool_calls" if called and finish == "stop" else finish


def _usage(found: dict) -> dict:
    prompt = shapes.count(found.get("promptTokenCount"), PROVIDER)
    prompt += shapes.count(found.get("toolUsePromptTokenCount"), PROVIDER)
    thoughts = shapes.count(found.get("thoughtsTokenCount"), PROVIDER)
    completion = shapes.count(found.get("candidatesTokenCount"), PROVIDER) + thoughts
    cached = found.get("cachedContentTokenCount")
    return shapes.usage(
        prompt,
        completion,
        cached=shapes.count(cached, PROVIDER) if cached is not None else None,
        reasoning=thoughts if "thoughtsTokenCount" in found else None,
    )


def chat_stream(events: Iterable[tuple[str, object]], *, model: str) -> Iterator[dict]:
    """OpenAI chunks for the events of :streamGenerateContent?alt=sse."""
    chunks, usage = None, {}
    calls: dict[int, int] = {}  # candidate index -> tool calls sent so far
    finished: set[int] = set()
    for _, raw in events:
        if raw is shapes.IDLE:  # a tick of the provider's silence, passed back up
            yield raw
            continue
        data = shapes.obj(raw, PROVIDER, "stream event")
        if "error" in data:
            raise _stream_error(data)
        if chunks is None:
            _refuse_blocked(data)
            chunks = shapes.Chunks(model=model, id=data.get("responseId"))
        # The counts grow chunk by chunk; the last one seen is the answer's.
        usage = shapes.obj(data.get("usageMetadata") or usage, PROVIDER, "usageMetadata")
        for position, candidate in enumerate(
            shapes.seq(data.get("candidates"), PROVIDER, "candidates")
        ):
            candidate = shapes.obj(candidate, PROVIDER, "candidate")
            index = _index(candidate, position)
            if index not in calls:
                calls[index] = 0
                yield chunks.role(index)
            text, found = _parts(candidate)
            if text:
                yield chunks.text(text, index)
            for call in found:
                function = call["function"]
                yield chunks.tool_start(
                    calls[index], call["id"], function["name"], function["arguments"], index
                )
                calls[index] += 1
            if candidate.get("finishReason") and index not in finished:
                finished.add(index)
                yield chunks.finish(_finish(candidate["finishReason"], calls[index] > 0), index)
    if chunks is None or not calls or finished != set(calls):
        raise BadGateway("google's stream ended before its finishReason.", provider=PROVIDER)
    yield chunks.usage(_usage(usage))


def _stream_error(data: dict) -> Exception:
    error = fields.mapping(data["error"])
    status = error.get("code") if isinstance(error.get("code"), int) else 502
    message = error_message(status, data)
    return shapes.upstream(PROVIDER, message, status=status, code=error.get("status"))


def error_message(status: int, data: object) -> str:
    """The message of a Gemini error body {"error":{"code","message","status"}}."""
    if isinstance(data, list) and data:  # the streamed JSON-array form wraps it in a list
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else f"google answered {status}."
