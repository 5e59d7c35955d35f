"""OpenAI's answers, chunks, usage and embedding lists, built by every native translation.

Pure code: readers of provider answers raise BadGateway for what is not the provider's shape.
https://platform.openai.com/docs/api-reference/chat/object
"""

import base64
import json
import logging
import struct
import time
import uuid
from collections.abc import Mapping
from typing import Any

from models_api.errors import BadGateway, InvalidRequest, UpstreamError

log = logging.getLogger(__name__)


class _Idle:
    """The type of IDLE: no event's data, so a reader that forgot it fails loudly."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "IDLE"


# A stream's silence: an events reader gives ("", IDLE) for each tick of the provider's
# silence, and every chat_stream yields it back unchanged, so that a translated stream
# returns to the WSGI server as often as a forwarded one (which notices a departed client
# only when it is handed something to write). Compared by identity, never sent.
IDLE = _Idle()


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def now() -> int:
    return int(time.time())


# -- reading provider answers -------------------------------------------------------------------


def obj(value: Any, provider: str, what: str = "answer") -> dict:
    if not isinstance(value, dict):
        raise BadGateway(f"{provider} sent a {what} that is not a JSON object.", provider=provider)
    return value


def seq(value: Any, provider: str, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadGateway(f"{provider} sent a '{what}' that is not a list.", provider=provider)
    return value


def count(value: Any, provider: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadGateway(f"{provider} sent a token count that is not a number.", provider=provider)
    return value


def finish(value: Any, table: Mapping[str, str], provider: str) -> str:
    if value in table:
        return table[value]
    log.warning("%s sent an unknown finish reason %r; reported as stop", provider, value)
    return "stop"


def string(item: dict, key: str, provider: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise BadGateway(f"{provider} sent no '{key}' string where one belongs.", provider=provider)
    return value


def upstream(
    provider: str, message: Any, *, status: int, code: Any = None, headers: dict | None = None
) -> UpstreamError:
    """The provider's own error, as the caller sees it (also mid-stream)."""
    text = message if isinstance(message, str) and message else f"{provider} answered {status}."
    code = code if isinstance(code, str) and code else None
    return UpstreamError(text, status=status, code=code, provider=provider, headers=headers)


# -- building OpenAI answers --------------------------------------------------------------------


def tool_call(call_id: str, name: str, args: Any) -> dict:
    text = args if isinstance(args, str) else json.dumps(args, separators=(",", ":"))
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def usage(prompt: int, completion: int, *, cached=None, cache_write=None, reasoning=None) -> dict:
    """OpenAI usage: total = prompt + completion; cached and reasoning are subsets of them.

    A detail is reported when the provider gave it (None: not given).
    """
    found = {"prompt_tokens": prompt, "completion_tokens": completion}
    found["total_tokens"] = prompt + completion
    details = {}
    if cached is not None:
        details["cached_tokens"] = min(cached, prompt)
    if cache_write:
        details["cache_write_tokens"] = min(cache_write, prompt)
    if details:
        found["prompt_tokens_details"] = details
    if reasoning is not None:
        found["completion_tokens_details"] = {"reasoning_tokens": min(reasoning, completion)}
    return found


def choice(index: int, text: str, calls: list[dict], finish_reason: str) -> dict:
    message = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        message["tool_calls"] = calls
    return {"index": index, "message": message, "finish_reason": finish_reason, "logprobs": None}


def completion(*, id: str | None, model: str, choices: list[dict], usage: dict) -> dict:
    head = {"id": id or new_id("chatcmpl-"), "object": "chat.completion", "created": now()}
    return {**head, "model": model, "choices": choices, "usage": usage}


class Chunks:
    """The chunks of one stream: one id and created for all of them."""

    def __init__(self, *, model: str, id: str | None = None):
        self.id = id or new_id("chatcmpl-")
        self.created = now()
        self.model = model

    def chunk(self, choices: list[dict], **extra: Any) -> dict:
        head = {"id": self.id, "object": "chat.completion.chunk", "created": self.created}
        return {**head, "model": self.model, "choices": choices, **extra}

    def delta(self, delta: dict, *, index: int = 0, finish_reason: str | None = None) -> dict:
        entry = {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return self.chunk([entry])

    def role(self, index: int = 0) -> dict:
        return self.delta({"role": "assistant", "content": ""}, index=index)

    def text(self, text: str, index: int = 0) -> dict:
        return self.delta({"content": text}, index=index)

    def tool_start(self, k: int, call_id: str, name: str, args: str = "", index: int = 0) -> dict:
        call = {"index": k, "id": call_id, "type": "function"}
        call["function"] = {"name": name, "arguments": args}
        return self.delta({"tool_calls": [call]}, index=index)

    def tool_args(self, k: int, piece: str, index: int = 0) -> dict:
        call = {"index": k, "function": {"arguments": piece}}
        return self.delta({"tool_calls": [call]}, index=index)

    def finish(self, reason: str, index: int = 0) -> dict:
        return self.delta({}, index=index, finish_reason=reason)

    def usage(self, found: dict) -> dict:
        return self.chunk([], usage=found)


# -- embeddings ---------------------------------------------------------------------------------


def embedding_inputs(body: Mapping, *, provider: str, most: int | None = None) -> list[str]:
    """The texts to embed; token arrays are refused (these providers take text only)."""
    found = body.get("input")
    texts = [found] if isinstance(found, str) else found
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        message = f"{provider} embeds text: 'input' must be a string or strings."
        raise InvalidRequest(message, param="input")
    if not all(texts):
        raise InvalidRequest("'input' must not contain empty strings.", param="input")
    if most is not None and len(texts) > most:
        message = f"{provider} embeds at most {most} inputs per request."
        raise InvalidRequest(message, param="input")
    return texts


def encoding_format(body: Mapping) -> str:
    found = body.get("encoding_format") or "float"
    if found not in ("float", "base64"):
        message = "'encoding_format' must be float or base64."
        raise InvalidRequest(message, param="encoding_format")
    return found


def embedding_list(
    vectors: list, *, model: str, prompt_tokens: int, encoding_format: str, provider: str
) -> dict:
    """OpenAI's list of embeddings; base64 is little-endian float32, as OpenAI's SDK decodes it."""
    data = []
    for index, vector in enumerate(vectors):
        numbers = isinstance(vector, list) and all(type(x) in (int, float) for x in vector)
        if not numbers:
            raise BadGateway(
                f"{provider} sent an embedding that is not numbers.", provider=provider
            )
        if encoding_format == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    return {"object": "list", "data": data, "model": model, "usage": tokens}
