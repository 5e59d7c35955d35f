"""Token counts from OpenAI-shaped answers, and the stream usage rule."""

import pytest

from models_api.usage.tokens import (
    TokenCounts,
    is_usage_only_chunk,
    usage_from,
    with_stream_usage,
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "usage": {
                    "prompt_tokens": 120,
                    "completion_tokens": 18,
                    "total_tokens": 138,
                    "prompt_tokens_details": {"cached_tokens": 64},
                    "completion_tokens_details": {"reasoning_tokens": 5},
                }
            },
            TokenCounts(120, 18, cached=64, reasoning=5),
        ),
        ({"usage": {"prompt_tokens": 8, "total_tokens": 8}}, TokenCounts(8, 0)),  # embeddings
        (
            {"usage": {"prompt_tokens": 9, "completion_tokens": 1, "prompt_cache_hit_tokens": 4}},
            TokenCounts(9, 1, cached=4),  # DeepSeek
        ),
        (
            {"choices": [], "x_groq": {"usage": {"prompt_tokens": 3, "completion_tokens": 2}}},
            TokenCounts(3, 2),
        ),
        ({"usage": None}, None),
        ({"usage": {}}, None),
        ({"usage": {"prompt_tokens": "12", "completion_tokens": True}}, None),
        ({"usage": {"prompt_tokens": -3, "completion_tokens": float("inf")}}, None),
        ({"usage": {"prompt_tokens": 2**40}}, TokenCounts(2**31 - 1, 0)),
        ([], None),
        ("usage", None),
    ],
)
def test_usage_from(payload, expected):
    assert usage_from(payload) == expected


def test_the_gateway_asks_for_usage_and_remembers_whether_the_client_did():
    body, asked = with_stream_usage({"model": "m", "stream": True})
    assert body == {"model": "m", "stream": True, "stream_options": {"include_usage": True}}
    assert asked is False
    options = {"include_usage": True, "include_obfuscation": False}
    body, asked = with_stream_usage({"model": "m", "stream_options": options})
    assert body["stream_options"] == options and asked is True
    original = {"model": "m", "stream_options": {"include_usage": False}}
    body, asked = with_stream_usage(original)
    assert body["stream_options"] == {"include_usage": True} and asked is False
    assert original["stream_options"] == {"include_usage": False}  # not changed in place


def test_the_usage_only_chunk():
    assert is_usage_only_chunk({"choices": [], "usage": {"prompt_tokens": 1}})
    assert not is_usage_only_chunk({"choices": [{"delta": {}}], "usage": {"prompt_tokens": 1}})
    assert not is_usage_only_chunk({"choices": [], "usage": None})
