"""A fake Anthropic Messages API (POST /v1/messages) that checks what it gets like the real one.

https://docs.anthropic.com/en/api/messages . Checks: x-api-key, anthropic-version, no unknown
fields, max_tokens, strictly alternating user/assistant turns, block shapes, tool results that
answer the previous turn's tool_use ids (and come first in their turn), temperature 0-1.
Answers in Anthropic's error shape; streams `event:`/`data:` SSE.

    with FakeAnthropic(api_key="k") as fake:
        fake.queue(fake.reply(message(text="Hi")))            # or fake.reply(..., stream=True)
"""

import re

from tests.fakes.server import FakeServer, Recorded, Refused, Reply, sse

API_VERSION = "2023-06-01"
TOP_LEVEL = {
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "service_tier",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def message(text="Hello from the fake.", *, tools=(), stop_reason=None, usage=None, id="msg_fake"):
    """A /v1/messages answer: `tools` are (id, name, input) tool_use blocks after the text."""
    content = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in tools]
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": content,
        "stop_reason": stop_reason or ("tool_use" if tools else "end_turn"),
        "stop_sequence": None,
        "usage": usage or {"input_tokens": 10, "output_tokens": 5},
    }


def events(answer: dict, *, pieces: int = 3) -> list[tuple[str, dict]]:
    """The stream events Anthropic sends for `answer`, text and tool input cut into pieces."""
    usage = dict(answer["usage"])
    start = {**answer, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    found = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for i, block in enumerate(answer["content"]):
        if block["type"] == "text":
            opening, kind, key, whole = (
                {"type": "text", "text": ""},
                "text_delta",
                "text",
                block["text"],
            )
        else:
            opening = {**block, "input": {}}
            kind, key, whole = "input_json_delta", "partial_json", _json(block["input"])
        found.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": opening},
            )
        )
        for piece in _cut(whole, pieces):
            delta = {"type": "content_block_delta", "index": i, "delta": {"type": kind, key: piece}}
            found.append(("content_block_delta", delta))
        found.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    delta = {"stop_reason": answer["stop_reason"], "stop_sequence": None}
    found.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    found.append(("message_stop", {"type": "message_stop"}))
    return found


def _json(value) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def _cut(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeAnthropic(FakeServer):
    def __init__(self, *, api_key: str = "test-anthropic-key"):
        super().__init__()
        self.api_key = api_key

    def reply(self, answer: dict, *, stream: bool = False, **faults) -> Reply:
        if not stream:
            return Reply.json(200, answer)
        return Reply.streamed(sse(events(answer)), "text/event-stream", **faults)

    def error(self, status: int, message: str) -> Reply:
        kind = {401: "authentication_error", 404: "not_found_error"}.get(
            status, "invalid_request_error"
        )
        body = {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_fake",
        }
        return Reply.json(status, body, {"request-id": "req_fake"})

    def default(self, request: Recorded) -> Reply:
        return self.reply(message(), stream=bool(request.json().get("stream")))

    def check(self, request: Recorded) -> None:
        if request.method != "POST" or request.path != "/v1/messages":
            raise Refused(f"Not found: {request.path}", 404)
        if request.headers.get("x-api-key") != self.api_key:
            raise Refused("invalid x-api-key", 401)
        if request.headers.get("anthropic-version") != API_VERSION:
            raise Refused("anthropic-version: header is required")
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise Refused("content-type must be application/json")
        try:
            body = request.json()
        except ValueError:
            raise Refused("The request body is not valid JSON.") from None
        _body(body)


def _need(ok, message: str) -> None:
    if not ok:
        raise Refused(message)


def _body(body) -> None:
    _need(isinstance(body, dict), "The request body must be a JSON object.")
    for key in body:
        _need(key in TOP_LEVEL, f"{key}: Extra inputs are not permitted")
    _need(isinstance(body.get("model"), str), "model: Field required")
    _need(
        type(body.get("max_tokens")) is int and body["max_tokens"] >= 1,
        "max_tokens: Field required",
    )
    for key in ("temperature", "top_p"):
        _need(key not in body or 0 <= body[key] <= 1, f"{key}: must be between 0 and 1")
    _need(set(body.get("metadata") or {}) <= {"user_id"}, "metadata: only user_id is allowed")
    system = body.get("system", "")
    _need(
        isinstance(system, str) or all(b.get("type") == "text" and b.get("text") for b in system),
        "system: text blocks only",
    )
    tools = body.get("tools") or []
    for tool in tools:
        _need(
            set(tool) <= {"name", "description", "input_schema", "strict", "cache_control", "type"},
            "tools: Extra inputs are not permitted",
        )
        _need(TOOL_NAME.match(tool.get("name") or ""), "tools.name: String should match pattern")
        _need(
            (tool.get("input_schema") or {}).get("type") == "object",
            "tools.input_schema.type: must be object",
        )
    choice = body.get("tool_choice")
    if choice is not None:
        _need(choice.get("type") in ("auto", "any", "tool", "none"), "tool_choice.type: invalid")
        _need(
            choice["type"] != "tool" or choice.get("name") in {t["name"] for t in tools},
            "tool_choice.name: unknown tool",
        )
    _messages(body.get("messages"))


def _messages(messages) -> None:
    _need(isinstance(messages, list) and messages, "messages: at least one message is required")
    previous_uses: set[str] = set()
    for i, turn in enumerate(messages):
        role = turn.get("role")
        _need(
            role in ("user", "assistant"),
            f"messages.{i}.role: Input should be 'user' or 'assistant'",
        )
        _need(
            i == 0 or messages[i - 1]["role"] != role,
            f"messages.{i}: roles must alternate between user and assistant",
        )
        content = turn.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        _need(isinstance(blocks, list) and blocks, f"messages.{i}.content: must not be empty")
        uses, results = set(), []
        for j, block in enumerate(blocks):
            _block(block, role, f"messages.{i}.content.{j}")
            if block["type"] == "tool_use":
                uses.add(block["id"])
            if block["type"] == "tool_result":
                _need(
                    len(results) == j,
                    f"messages.{i}.content.{j}: tool_result blocks must come first",
                )
                results.append(block["tool_use_id"])
        _need(
            set(results) <= previous_uses, f"messages.{i}: tool_result for an unknown tool_use id"
        )
        previous_uses = uses


def _block(block, role, where) -> None:
    kind = block.get("type")
    if kind == "text":
        _need(
            isinstance(block.get("text"), str) and block["text"],
            f"{where}: text content blocks must be non-empty",
        )
    elif kind in ("image", "document"):
        source = block.get("source") or {}
        if source.get("type") == "url":
            _need(isinstance(source.get("url"), str), f"{where}.source.url: Field required")
        else:
            _need(
                source.get("type") == "base64" and isinstance(source.get("data"), str),
                f"{where}.source: invalid",
            )
            allowed = IMAGE_TYPES if kind == "image" else {"application/pdf"}
            _need(source.get("media_type") in allowed, f"{where}.source.media_type: invalid")
    elif kind == "tool_use":
        _need(role == "assistant", f"{where}: tool_use blocks belong to assistant turns")
        _need(
            isinstance(block.get("input"), dict) and block.get("id") and block.get("name"),
            f"{where}: invalid tool_use",
        )
    elif kind == "tool_result":
        _need(role == "user", f"{where}: tool_result blocks belong to user turns")
        _need(isinstance(block.get("tool_use_id"), str), f"{where}.tool_use_id: Field required")
    else:
        raise Refused(f"{where}.type: unknown block type {kind!r}")
