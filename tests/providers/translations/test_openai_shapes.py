"""The shared readers of OpenAI requests and builders of OpenAI answers."""

import base64
import logging
import struct

import pytest

from models_api.errors import BadGateway, InvalidRequest
from models_api.providers import openai_messages as msgs
from models_api.providers import openai_request as req
from models_api.providers import openai_shapes as shapes

TOOLS = [{"type": "function", "function": {"name": "f"}}]


def test_legacy_completions_are_refused_naming_the_chat_route():
    with pytest.raises(InvalidRequest) as raised:
        req.no_completions("anthropic")
    assert raised.value.status == 400
    assert raised.value.message == (
        "anthropic has no /v1/completions API; use /v1/chat/completions."
    )


def test_unsupported_fields_pass_at_their_off_value_only():
    off = {
        "n": 1,
        "logprobs": False,
        "logit_bias": {},
        "presence_penalty": 0,
        "modalities": ["text"],
    }
    req.refuse(off, req.UNSUPPORTED, "p")
    for name, value in [("n", 2), ("logit_bias", {"1": 5}), ("modalities", ["text", "audio"])]:
        with pytest.raises(InvalidRequest) as raised:
            req.refuse({name: value}, req.UNSUPPORTED, "p")
        assert (raised.value.param, raised.value.code) == (name, "unsupported_parameter")


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("data:image/PNG;base64,AAAA", ("image/png", "AAAA")),
        ("data:image/png;name=a.png;base64,AA==", ("image/png", "AA==")),
        ("https://example.com/a.png", None),
    ],
)
def test_data_uris(url, found):
    assert msgs.data_uri(url, "p") == found


@pytest.mark.parametrize("url", ["data:image/png,AAAA", "data:;base64,AAAA", ""])
def test_data_uris_that_are_not_base64_with_a_type_are_refused(url):
    with pytest.raises(InvalidRequest) as raised:
        msgs.data_uri(url, "messages[0].content[1].image_url.url")
    assert raised.value.param == "messages[0].content[1].image_url.url"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ({}, None),
        ({"tool_choice": "auto"}, ("auto", None)),
        ({"tool_choice": "required", "tools": TOOLS}, ("required", None)),
        (
            {"tool_choice": {"type": "function", "function": {"name": "f"}}, "tools": TOOLS},
            ("named", "f"),
        ),
    ],
)
def test_tool_choice(body, found):
    assert req.tool_choice(body) == found


@pytest.mark.parametrize(
    "body",
    [
        {"tool_choice": "required"},
        {"tool_choice": {"type": "function", "function": {"name": "g"}}, "tools": TOOLS},
        {"tool_choice": "sometimes", "tools": TOOLS},
    ],
)
def test_tool_choice_that_names_no_declared_tool_is_refused(body):
    with pytest.raises(InvalidRequest) as raised:
        req.tool_choice(body)
    assert raised.value.param == "tool_choice"


def test_tool_call_arguments_must_be_a_json_object():
    message = {"tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}]}
    with pytest.raises(InvalidRequest) as raised:
        msgs.tool_calls(message, "messages[2]")
    assert raised.value.param == "messages[2].tool_calls[0].function.arguments"
    empty = {"tool_calls": [{"id": "c", "function": {"name": "f", "arguments": ""}}]}
    assert msgs.tool_calls(empty, "m") == [("c", "f", {})]


def test_usage_keeps_total_and_subsets():
    found = shapes.usage(10, 4, cached=25, reasoning=9)
    assert found == {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "prompt_tokens_details": {"cached_tokens": 10},
        "completion_tokens_details": {"reasoning_tokens": 4},
    }
    assert shapes.usage(3, 2) == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_an_unknown_finish_reason_is_stop_and_logged(caplog):
    with caplog.at_level(logging.WARNING):
        assert shapes.finish("NEW_REASON", {"A": "length"}, "p") == "stop"
    assert "NEW_REASON" in caplog.text


def test_base64_embeddings_are_little_endian_float32():
    found = shapes.embedding_list(
        [[0.5, -1.0]], model="m", prompt_tokens=2, encoding_format="base64", provider="p"
    )
    raw = base64.b64decode(found["data"][0]["embedding"])
    assert raw == struct.pack("<2f", 0.5, -1.0)
    with pytest.raises(BadGateway):
        shapes.embedding_list(
            [["x"]], model="m", prompt_tokens=0, encoding_format="float", provider="p"
        )
