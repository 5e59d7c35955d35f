"""Token counts read from OpenAI-shaped answers and stream chunks, and the stream usage rule.

Pure code: no Django, no HTTP. Field meanings: reference/inference.md section 0.3.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_TOKENS = 2**31 - 1  # the columns are 32-bit; no real call comes near it


@dataclass(frozen=True, slots=True)
class TokenCounts:
    """`prompt` includes `cached`, `completion` includes `reasoning` (None: not reported)."""

    prompt: int = 0
    completion: int = 0
    cached: int | None = None
    reasoning: int | None = None


def usage_from(payload: object) -> TokenCounts | None:
    """The counts in a response body or a stream chunk, or None when it reports none.

    Reads OpenAI's `usage` (chat, completions, embeddings), Groq's stream-only
    `x_groq.usage`, and DeepSeek's `prompt_cache_hit_tokens` as the cached count.
    """
    if not isinstance(payload, Mapping):
        return None
    usage = payload.get("usage")
    if not isinstance(usage, Mapping):
        groq = payload.get("x_groq")
        usage = groq.get("usage") if isinstance(groq, Mapping) else None
    if not isinstance(usage, Mapping):
        return None
    prompt = _count(usage.get("prompt_tokens"))
    completion = _count(usage.get("completion_tokens"))
    if prompt is None and completion is None:
        return None
    prompt_details = usage.get("prompt_tokens_details")
    completion_details = usage.get("completion_tokens_details")
    cached = _count(_get(prompt_details, "cached_tokens"))
    if cached is None:
        cached = _count(usage.get("prompt_cache_hit_tokens"))
    return TokenCounts(
        prompt=prompt or 0,
        completion=completion or 0,
        cached=cached,
        reasoning=_count(_get(completion_details, "reasoning_tokens")),
    )


def with_stream_usage(body: Mapping) -> tuple[dict, bool]:
    """The body to send a provider for a stream, and whether the client asked for usage.

    The gateway always asks for `stream_options.include_usage` (other `stream_options`
    kept), so that it can record the tokens of every stream. The second value is True
    exactly when the client's own body had `stream_options.include_usage: true`; when it
    is False, the relay drops the usage-only chunk (`choices: []`) before the client.
    Use it only for providers that accept `stream_options` (an OpenAI-compatible API);
    others' bodies go unchanged, with whatever usage they send passed on as it comes.
    """
    options = body.get("stream_options")
    options = dict(options) if isinstance(options, Mapping) else {}
    asked = options.get("include_usage") is True
    return {**body, "stream_options": {**options, "include_usage": True}}, asked


def is_usage_only_chunk(chunk: Mapping) -> bool:
    """The extra chunk `include_usage` adds before [DONE]: no choices, usage set."""
    return chunk.get("choices") == [] and isinstance(chunk.get("usage"), Mapping)


def _get(details: object, key: str) -> object:
    return details.get(key) if isinstance(details, Mapping) else None


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(int(value), MAX_TOKENS)
