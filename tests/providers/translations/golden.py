"""Golden cases: one JSON file per case under golden/<provider>/, run by one test per family.

Each file has a `kind` and the fields it needs:
- request:  `openai` (the client's body) -> `provider` (the body the provider must get)
- refused:  `openai` -> `error` ({status, param}) and `message` raised by chat_request
- response: `provider` (the provider's answer) -> `expected` (OpenAI chat.completion)
- stream:   `events` ([name, data] pairs) -> `expected` (the OpenAI chunks, in order)
- response_error: `provider` -> `error` ({status, code}) raised by chat_response
- stream_error: `events` -> `error` ({status, code}) raised while translating, after `chunks`
- embeddings_request / embeddings_response: as request / response, with `inputs`
"""

import base64
import json
import struct
from pathlib import Path

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from models_api.errors import GatewayError

ROOT = Path(__file__).parent / "golden"


def cases(provider: str) -> list:
    files = sorted((ROOT / provider).glob("*.json"))
    assert files, f"no golden cases for {provider}"
    return [pytest.param(json.loads(f.read_text()), id=f.stem) for f in files]


def assemble(chunks: list[dict]):
    """The completion the OpenAI SDK builds from these chunks (each parsed by the SDK)."""
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    # get_final_completion() raises for length and content_filter; the snapshot is the same data.
    return state.current_completion_snapshot


def completion_of(found: dict | list):
    """The SDK's completion for a translated answer, or for translated chunks."""
    return assemble(found) if isinstance(found, list) else ChatCompletion.model_validate(found)


def check_stream(chunks: list[dict]) -> None:
    """One id and created throughout; the role first; the usage chunk last and alone."""
    assert len({(c["id"], c["created"], c["model"]) for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and "usage" in chunks[-1]
    assert all("usage" not in c for c in chunks[:-1])
    assemble(chunks)


def run(module, case: dict) -> None:
    kind, model = case["kind"], case.get("model", "model-x")
    if kind == "request":
        assert module.chat_request(case["openai"], model=model) == case["provider"]
    elif kind == "refused":
        with pytest.raises(GatewayError) as raised:
            module.chat_request(case["openai"], model=model)
        assert {"status": raised.value.status, "param": raised.value.param} == case["error"]
        assert raised.value.message == case["message"]
    elif kind == "response":
        found = module.chat_response(case["provider"], model=model)
        assert found == case["expected"]
        ChatCompletion.model_validate(found)
    elif kind == "response_error":
        with pytest.raises(GatewayError) as raised:
            module.chat_response(case["provider"], model=model)
        assert {"status": raised.value.status, "code": raised.value.code} == case["error"]
        assert raised.value.message == case["message"]
    elif kind == "stream":
        found = list(module.chat_stream([tuple(e) for e in case["events"]], model=model))
        assert found == case["expected"]
        check_stream(found)
    elif kind == "stream_error":
        found = []
        with pytest.raises(GatewayError) as raised:
            found.extend(module.chat_stream([tuple(e) for e in case["events"]], model=model))
        assert found == case["chunks"]
        error = {"status": raised.value.status, "code": raised.value.code}
        assert error == case["error"]
        assert raised.value.message == case["message"]
    elif kind == "embeddings_request":
        assert module.embeddings_request(case["openai"], model=model) == case["provider"]
    elif kind == "embeddings_response":
        options = {"encoding_format": case.get("encoding_format", "float")}
        found = module.embeddings_response(
            case["provider"], model=model, inputs=case["inputs"], **options
        )
        assert found == case["expected"]
        embeddings(found)
    else:
        raise AssertionError(f"unknown case kind {kind!r}")


def embeddings(found: dict) -> CreateEmbeddingResponse:
    """The SDK's parse of an embeddings answer, base64 vectors decoded first as the SDK does."""
    data = []
    for item in found["data"]:
        if isinstance(item["embedding"], str):
            raw = base64.b64decode(item["embedding"])
            item = {**item, "embedding": list(struct.unpack(f"<{len(raw) // 4}f", raw))}
        data.append(item)
    return CreateEmbeddingResponse.model_validate({**found, "data": data})


def request_cases(provider: str) -> list:
    """The request cases only: each translated body is also sent to the provider's fake."""
    return [p for p in cases(provider) if p.values[0]["kind"] == "request"]


def same_answer(streamed, answer: dict) -> None:
    """The SDK's completion from a stream holds the non-streamed answer's message and usage."""
    assert [c.index for c in streamed.choices] == [c["index"] for c in answer["choices"]]
    for got, want in zip(streamed.choices, answer["choices"], strict=True):
        assert (got.message.content or None) == (want["message"]["content"] or None)
        assert got.finish_reason == want["finish_reason"]
        calls = [
            (c.id, c.function.name, json.loads(c.function.arguments))
            for c in got.message.tool_calls or []
        ]
        wanted = want["message"].get("tool_calls") or []
        expected = [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in wanted
        ]
        assert calls == expected
    assert streamed.usage.model_dump(exclude_none=True) == answer["usage"]
