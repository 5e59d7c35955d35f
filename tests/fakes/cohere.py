"""A fake Cohere v2 API: POST /v2/chat (JSON or SSE) and POST /v2/embed.

https://docs.cohere.com/reference/chat , https://docs.cohere.com/reference/embed . Checks: Bearer
key, v2 field names only, message roles and shapes (tool calls with string arguments, tool
messages answering an earlier call), tool_choice REQUIRED/NONE, no response_format with tools,
embed's input_type and embedding_types. Errors are {"message"}; streams name each event.

    with FakeCohere(api_key="k") as fake:
        fake.queue(fake.reply(answer(text="Hi"), stream=True))
"""

import json

from tests.fakes.server import FakeServer, Recorded, Refused, Reply, sse, vector

CHAT_FIELDS = {
    "model",
    "messages",
    "tools",
    "strict_tools",
    "documents",
    "citation_options",
    "response_format",
    "safety_mode",
    "max_tokens",
    "stop_sequences",
    "temperature",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "k",
    "p",
    "logprobs",
    "tool_choice",
    "thinking",
    "stream",
    "priority",
}
EMBED_FIELDS = {"model", "texts", "images", "inputs", "input_type", "embedding_types"}
EMBED_FIELDS |= {"output_dimension", "max_tokens", "truncate"}
INPUT_TYPES = {"search_document", "search_query", "classification", "clustering", "image"}
EMBEDDING_TYPES = {"float", "int8", "uint8", "binary", "ubinary", "base64"}


def answer(text="Hello from the fake.", *, calls=(), finish=None, usage=None, id="co-fake"):
    """A /v2/chat answer: `calls` are (id, name, arguments object) tool calls."""
    message = {"role": "assistant", "content": [{"type": "text", "text": text}] if text else []}
    if calls:
        message["tool_plan"] = "I will call the tools."
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in calls
        ]
    tokens = usage or {"input_tokens": 10, "output_tokens": 5}
    return {
        "id": id,
        "finish_reason": finish or ("TOOL_CALL" if calls else "COMPLETE"),
        "message": message,
        "usage": {"billed_units": tokens, "tokens": tokens},
    }


def events(response: dict, *, pieces: int = 3) -> list[tuple[str, dict]]:
    """The SSE events Cohere sends for `response`, text and arguments cut into pieces."""
    message = response["message"]
    start = {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}}
    found = [("message-start", {"id": response["id"], "delta": start})]
    if message.get("tool_plan"):
        found.append(
            ("tool-plan-delta", {"delta": {"message": {"tool_plan": message["tool_plan"]}}})
        )
    for i, block in enumerate(message["content"]):
        found.append(
            (
                "content-start",
                {"index": i, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
            )
        )
        for piece in _cut(block["text"], pieces):
            found.append(
                ("content-delta", {"index": i, "delta": {"message": {"content": {"text": piece}}}})
            )
        found.append(("content-end", {"index": i}))
    for i, call in enumerate(message.get("tool_calls") or []):
        opening = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        found.append(
            ("tool-call-start", {"index": i, "delta": {"message": {"tool_calls": opening}}})
        )
        for piece in _cut(call["function"]["arguments"], pieces):
            delta = {"message": {"tool_calls": {"function": {"arguments": piece}}}}
            found.append(("tool-call-delta", {"index": i, "delta": delta}))
        found.append(("tool-call-end", {"index": i}))
    end = {"finish_reason": response["finish_reason"], "usage": response["usage"]}
    found.append(("message-end", {"id": response["id"], "delta": end}))
    return [(name, {"type": name, **data}) for name, data in found]


def _cut(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeCohere(FakeServer):
    def __init__(self, *, api_key: str = "test-cohere-key"):
        super().__init__()
        self.api_key = api_key

    def reply(self, response: dict, *, stream: bool = False, **faults) -> Reply:
        if not stream:
            return Reply.json(200, response)
        return Reply.streamed(sse(events(response)), "text/event-stream", **faults)

    def default(self, request: Recorded) -> Reply:
        body = request.json()
        if request.path == "/v2/embed":
            floats = [vector(text, body.get("output_dimension", 4)) for text in body["texts"]]
            meta = {
                "api_version": {"version": "2"},
                "billed_units": {"input_tokens": 2 * len(floats)},
            }
            found = {"id": "emb-fake", "embeddings": {"float": floats}, "texts": body["texts"]}
            return Reply.json(200, {**found, "meta": meta, "response_type": "embeddings_by_type"})
        return self.reply(answer(), stream=bool(body.get("stream")))

    def check(self, request: Recorded) -> None:
        if request.method != "POST" or request.path not in ("/v2/chat", "/v2/embed"):
            raise Refused(f"not found: {request.path}", 404)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            raise Refused("invalid api token", 401)
        try:
            body = request.json()
        except ValueError:
            raise Refused("invalid request: body is not valid JSON") from None
        _need(isinstance(body, dict), "invalid request: body must be an object")
        _need(isinstance(body.get("model"), str), "invalid request: model must be a string")
        if request.path == "/v2/embed":
            _embed(body)
        else:
            _chat(body)


def _need(ok, message: str) -> None:
    if not ok:
        raise Refused(f"invalid request: {message}")


def _chat(body: dict) -> None:
    for key in body:
        _need(key in CHAT_FIELDS, f"unknown field: parameter {key} is not a valid field")
    _need(
        body.get("tool_choice") in (None, "REQUIRED", "NONE"),
        "tool_choice must be REQUIRED or NONE",
    )
    _need(
        not (body.get("response_format") and body.get("tools")),
        "response_format is not supported with tools",
    )
    response_format = body.get("response_format") or {"type": "text"}
    _need(
        response_format.get("type") in ("text", "json_object"),
        "response_format.type must be text or json_object",
    )
    names = set()
    for tool in body.get("tools") or []:
        function = tool.get("function") or {}
        _need(
            tool.get("type") == "function"
            and set(function) <= {"name", "description", "parameters"},
            "invalid tool",
        )
        names.add(function.get("name"))
    messages = body.get("messages")
    _need(isinstance(messages, list) and messages, "messages must not be empty")
    calls = set()
    for i, message in enumerate(messages):
        role = message.get("role")
        _need(role in ("system", "user", "assistant", "tool"), f"messages[{i}].role is invalid")
        content = message.get("content")
        if role in ("system", "user"):
            _need(
                isinstance(content, str) and content or isinstance(content, list) and content,
                f"messages[{i}].content is required",
            )
        elif role == "assistant":
            _need(
                set(message) <= {"role", "content", "tool_calls", "tool_plan", "citations"},
                f"messages[{i}]: unknown field",
            )
            _need(
                content or message.get("tool_calls"),
                f"messages[{i}]: content or tool_calls is required",
            )
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                _need(
                    isinstance(function.get("arguments"), str) and call.get("id"),
                    f"messages[{i}].tool_calls: arguments must be a string",
                )
                calls.add(call["id"])
        else:
            _need(
                set(message) == {"role", "tool_call_id", "content"},
                f"messages[{i}]: a tool message has tool_call_id and content",
            )
            _need(
                message["tool_call_id"] in calls,
                f"messages[{i}].tool_call_id does not match a tool call",
            )


def _embed(body: dict) -> None:
    for key in body:
        _need(key in EMBED_FIELDS, f"unknown field: parameter {key} is not a valid field")
    texts = body.get("texts")
    _need(isinstance(texts, list) and 0 < len(texts) <= 96, "texts must hold 1 to 96 strings")
    _need(
        body.get("input_type") in INPUT_TYPES,
        "input_type is required for embed models v3 and higher",
    )
    _need(
        set(body.get("embedding_types") or ["float"]) <= EMBEDDING_TYPES,
        "embedding_types is invalid",
    )
