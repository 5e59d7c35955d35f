"""A fake OpenAI-compatible API: chat completions, completions and embeddings, JSON and SSE.

    with FakeOpenAI(api_key="k") as fake:          # serves {fake.url}/v1/...
        fake.queue(fake.chat(text="Hi", stream=True, interval=0.1))   # or let it answer itself
        fake.requests[-1].json()                    # every request, its headers and body

Checks the Bearer key (401 in OpenAI's error shape otherwise) and that `model` is given;
answers a body's `stream: true` with chunks, the usage chunk only when include_usage was asked.
"""

import json

from tests.fakes.server import FakeServer, Recorded, Refused, Reply, vector

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
CREATED = 1760000000


def error_body(message: str, *, type="invalid_request_error", code=None, param=None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def sse_events(chunks: list[dict], *, done: bool = True) -> list[bytes]:
    parts = [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks]
    return parts + ([b"data: [DONE]\n\n"] if done else [])


class FakeOpenAI(FakeServer):
    def __init__(self, *, api_key: str = "sk-fake-provider", prefix: str = "/v1", models=()):
        super().__init__()
        self.api_key = api_key
        self.prefix = prefix
        self.models = list(models)  # what GET /models lists

    def check(self, request: Recorded) -> None:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            raise Refused("Incorrect API key provided.", status=401)
        if request.method == "POST" and "model" not in request.json():
            raise Refused("you must provide a model parameter")

    def error(self, status: int, message: str) -> Reply:
        code = "invalid_api_key" if status == 401 else None
        return Reply.json(status, error_body(message, code=code))

    def default(self, request: Recorded) -> Reply:
        path = request.path.removeprefix(self.prefix)
        body = request.json() if request.body else {}
        stream = body.get("stream") is True
        usage = (body.get("stream_options") or {}).get("include_usage") is True
        if path == "/models" and request.method == "GET":
            items = [{"id": m, "object": "model", "created": CREATED, "owned_by": "fake"}
                     for m in self.models]  # fmt: skip
            return Reply.json(200, {"object": "list", "data": items})
        if path == "/chat/completions":
            return self.chat(model=body["model"], stream=stream, usage=usage)
        if path == "/completions":
            return self.completion(model=body["model"], stream=stream, usage=usage)
        if path == "/embeddings":
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return self.embeddings(inputs, model=body["model"])
        return Reply.json(404, error_body(f"Unknown path {request.path}", code="unknown_url"))

    # -- answers a test can queue

    def chat(
        self,
        text: str = "Hello from the fake.",
        *,
        model: str = "gpt-fake",
        stream: bool = False,
        usage: bool = True,
        pieces: int = 3,
        **timing,
    ) -> Reply:
        if not stream:
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            return Reply(
                200,
                {"Content-Type": "application/json"},
                [json.dumps(self._head("chat.completion", model, [choice], USAGE)).encode()],
                delay=timing.get("delay", 0.0),
            )
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in _cut(text, pieces)]
        chunks = [
            self._chunk(model, {"index": 0, "delta": d, "finish_reason": None}) for d in deltas
        ]
        chunks.append(self._chunk(model, {"index": 0, "delta": {}, "finish_reason": "stop"}))
        if usage:
            chunks.append({**self._chunk(model, None), "choices": [], "usage": USAGE})
        return Reply.streamed(sse_events(chunks), "text/event-stream", **timing)

    def completion(self, text: str = " and so on.", *, model="gpt-fake-instruct", stream=False,
                   usage=True, **timing) -> Reply:  # fmt: skip
        choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
        if not stream:
            body = self._head("text_completion", model, [choice], USAGE)
            return Reply(200, {"Content-Type": "application/json"}, [json.dumps(body).encode()])
        pieces = [{**choice, "text": p, "finish_reason": None} for p in _cut(text, 2)]
        chunks = [self._head("text_completion", model, [p], None) for p in pieces]
        chunks.append(self._head("text_completion", model, [{**choice, "text": ""}], None))
        if usage:
            chunks.append({**self._head("text_completion", model, [], None), "usage": USAGE})
        return Reply.streamed(sse_events(chunks), "text/event-stream", **timing)

    def embeddings(self, inputs: list, *, model: str = "text-embedding-fake") -> Reply:
        data = [
            {"object": "embedding", "index": i, "embedding": vector(str(text))}
            for i, text in enumerate(inputs)
        ]
        usage = {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)}
        body = {"object": "list", "data": data, "model": model, "usage": usage}
        return Reply.json(200, body)

    def _head(self, kind: str, model: str, choices: list, usage) -> dict:
        head = {"id": "cmpl-fake", "object": kind, "created": CREATED, "model": model}
        return {**head, "choices": choices, **({"usage": usage} if usage else {})}

    def _chunk(self, model: str, choice: dict | None) -> dict:
        head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": CREATED}
        return {**head, "model": model, "choices": [choice] if choice else []}


def _cut(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
