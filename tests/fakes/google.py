"""A fake Gemini API: generateContent, streamGenerateContent?alt=sse and batchEmbedContents.

https://ai.google.dev/api/generate-content , https://ai.google.dev/api/embeddings . Checks:
x-goog-api-key (or ?key=), camelCase field names only, roles user/model alternating, one data
field per part, function responses answering the previous model turn's calls one for one,
batch requests naming the URL's model. Streams `data:` events with CRLF and no [DONE].

    with FakeGemini(api_key="k") as fake:
        fake.queue(fake.reply(answer(text="Hi"), stream=True))
"""

import re

from tests.fakes.server import FakeServer, Recorded, Refused, Reply, sse, vector

PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")
TOP_LEVEL = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}
TOP_LEVEL |= {"safetySettings", "cachedContent"}
GENERATION = {
    "temperature",
    "topP",
    "topK",
    "maxOutputTokens",
    "stopSequences",
    "candidateCount",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "thinkingConfig",
}
DATA_FIELDS = {"text", "inlineData", "fileData", "functionCall", "functionResponse"}
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}


def answer(text="Hello from the fake.", *, calls=(), finish="STOP", usage=None, candidates=1):
    """A GenerateContentResponse: `calls` are (name, args) function calls after the text."""
    parts = [{"text": text}] if text else []
    parts += [{"functionCall": {"name": name, "args": args}} for name, args in calls]
    found = [
        {"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": i}
        for i in range(candidates)
    ]
    usage = usage or {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}
    return {
        "candidates": found,
        "usageMetadata": usage,
        "modelVersion": "gemini-fake",
        "responseId": "resp-fake",
    }


def events(response: dict, *, pieces: int = 3) -> list[tuple[str, dict]]:
    """The SSE events Gemini sends for `response`: text in pieces, calls whole, finish last."""
    found = []
    for k in range(pieces):
        candidates = []
        for candidate in response["candidates"]:
            parts = candidate["content"]["parts"]
            texts = [p for p in parts if "text" in p]
            text = "".join(p["text"] for p in texts)
            size = max(1, -(-len(text) // pieces))
            chunk = (
                [{"text": text[k * size : (k + 1) * size]}]
                if text[k * size : (k + 1) * size]
                else []
            )
            if k == pieces - 1:
                chunk += [p for p in parts if "text" not in p]
            entry = {
                "content": {"role": "model", "parts": chunk},
                "index": candidate.get("index", 0),
            }
            if k == pieces - 1:
                entry["finishReason"] = candidate["finishReason"]
            candidates.append(entry)
        usage = response["usageMetadata"] if k == pieces - 1 else {"promptTokenCount": 1}
        event = {
            "candidates": candidates,
            "usageMetadata": usage,
            "responseId": response.get("responseId"),
        }
        found.append(("", event))
    return found


class FakeGemini(FakeServer):
    def __init__(self, *, api_key: str = "test-gemini-key"):
        super().__init__()
        self.api_key = api_key

    def reply(self, response: dict, *, stream: bool = False, **faults) -> Reply:
        if not stream:
            return Reply.json(200, response)
        parts = sse(events(response), named=False, newline="\r\n")
        return Reply.streamed(parts, "text/event-stream", **faults)

    def error(self, status: int, message: str) -> Reply:
        error = {
            "code": status,
            "message": message,
            "status": STATUS.get(status, "INVALID_ARGUMENT"),
        }
        return Reply.json(status, {"error": error})

    def default(self, request: Recorded) -> Reply:
        method = PATH.match(request.path)["method"]
        if method == "batchEmbedContents":
            requests = request.json()["requests"]
            embeddings = [
                {
                    "values": vector(
                        r["content"]["parts"][0]["text"], r.get("outputDimensionality", 4)
                    )
                }
                for r in requests
            ]
            return Reply.json(200, {"embeddings": embeddings})
        return self.reply(answer(), stream=method == "streamGenerateContent")

    def check(self, request: Recorded) -> None:
        match = PATH.match(request.path)
        if request.method != "POST" or not match:
            raise Refused(f"Method not found: {request.path}", 404)
        key = request.headers.get("x-goog-api-key") or (request.query.get("key") or [None])[0]
        if key != self.api_key:
            raise Refused("API key not valid. Please pass a valid API key.")
        try:
            body = request.json()
        except ValueError:
            raise Refused("Invalid JSON payload received.") from None
        _need(isinstance(body, dict), "Invalid JSON payload: not an object.")
        method = match["method"]
        if method == "batchEmbedContents":
            _batch(body, match["model"])
            return
        _need(
            method in ("generateContent", "streamGenerateContent"), f"unknown method {method}", 404
        )
        if method == "streamGenerateContent":
            _need(request.query.get("alt") == ["sse"], "this fake streams only with alt=sse")
        _generate(body)


def _need(ok, message: str, status: int = 400) -> None:
    if not ok:
        raise Refused(message, status)


def _generate(body: dict) -> None:
    for key in body:
        _need(key in TOP_LEVEL, f'Invalid JSON payload received. Unknown name "{key}"')
    for key in body.get("generationConfig") or {}:
        _need(key in GENERATION, f"Unknown name \"{key}\" at 'generation_config'")
    config = body.get("generationConfig") or {}
    if "responseJsonSchema" in config or "responseSchema" in config:
        _need(
            config.get("responseMimeType") == "application/json",
            "a schema needs responseMimeType application/json",
        )
    system = body.get("systemInstruction")
    if system is not None:
        _need(
            all(set(p) == {"text"} for p in system.get("parts") or [None]),
            "systemInstruction takes text parts",
        )
    names = set()
    for tool in body.get("tools") or []:
        _need(set(tool) == {"functionDeclarations"}, "tools: only functionDeclarations here")
        for declaration in tool["functionDeclarations"]:
            _need(
                set(declaration) <= {"name", "description", "parameters", "parametersJsonSchema"},
                "functionDeclarations: unknown field",
            )
            _need(
                not {"parameters", "parametersJsonSchema"} <= set(declaration),
                "parameters and parametersJsonSchema are exclusive",
            )
            names.add(declaration["name"])
    config = (body.get("toolConfig") or {}).get("functionCallingConfig")
    if config is not None:
        _need(
            config.get("mode") in ("AUTO", "ANY", "NONE", "VALIDATED"),
            "functionCallingConfig.mode: invalid",
        )
        allowed = config.get("allowedFunctionNames")
        _need(
            allowed is None or config["mode"] == "ANY" and set(allowed) <= names,
            "allowedFunctionNames needs mode ANY and declared functions",
        )
    _contents(body.get("contents"))


def _contents(contents) -> None:
    _need(isinstance(contents, list) and contents, "contents is not specified")
    calls = 0
    for i, turn in enumerate(contents):
        role = turn.get("role")
        _need(role in ("user", "model"), f"Please use a valid role: user, model. (contents[{i}])")
        _need(
            i == 0 or contents[i - 1]["role"] != role,
            "Please ensure that multiturn requests alternate between user and model.",
        )
        parts = turn.get("parts")
        _need(isinstance(parts, list) and parts, f"contents[{i}].parts must not be empty")
        for part in parts:
            fields = set(part) & DATA_FIELDS
            _need(
                len(fields) == 1 and set(part) - DATA_FIELDS <= {"thought", "thoughtSignature"},
                f"contents[{i}]: one data field per part",
            )
        if role == "model":
            calls = sum("functionCall" in p for p in parts)
            continue
        responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
        for response in responses:
            _need(
                isinstance(response.get("response"), dict) and response.get("name"),
                "functionResponse needs a name and an object response",
            )
        _need(
            not responses or len(responses) == calls,
            "Please ensure that the number of function response parts is equal to the number of "
            "function call parts of the function call turn.",
        )
        calls = 0


def _batch(body: dict, model: str) -> None:
    requests = body.get("requests")
    _need(
        isinstance(requests, list) and 0 < len(requests) <= 100, "requests: 1 to 100 embed requests"
    )
    for request in requests:
        _need(
            set(request) <= {"model", "content", "taskType", "title", "outputDimensionality"},
            "EmbedContentRequest: unknown field",
        )
        _need(
            request.get("model") == f"models/{model}",
            "The model in each request must match the batch's model.",
        )
        parts = (request.get("content") or {}).get("parts") or []
        _need(
            len(parts) == 1 and isinstance(parts[0].get("text"), str),
            "content.parts: one text part",
        )
