"""anthropic_chat: golden cases, the fake Anthropic API end to end, faults mid-stream."""

import pytest
import requests

from models_api.errors import BadGateway, UpstreamError
from models_api.providers import anthropic_chat
from tests.fakes.anthropic import FakeAnthropic, events, message
from tests.fakes.server import Reply, decode_sse, sse
from tests.providers.translations import golden

MODEL = "claude-sonnet-4-5"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
TOOLS = [("toolu_1", "get_weather", {"city": "Oslo"}), ("toolu_2", "get_time", {})]


@pytest.mark.parametrize("case", golden.cases("anthropic"))
def test_golden(case):
    golden.run(anthropic_chat, case)


@pytest.fixture
def fake():
    with FakeAnthropic(api_key="k") as server:
        yield server


def post(fake, body, headers=HEADERS, **options):
    return requests.post(
        fake.url + "/v1/messages", json=body, headers=headers, timeout=5, **options
    )


def translate(response) -> dict | list:
    """The OpenAI answer (or chunks) for a fake's HTTP response."""
    if response.headers["Content-Type"].startswith("text/event-stream"):
        return list(anthropic_chat.chat_stream(decode_sse(response.iter_lines()), model=MODEL))
    return anthropic_chat.chat_response(response.json(), model=MODEL)


@pytest.mark.parametrize("case", golden.request_cases("anthropic"))
def test_the_fake_accepts_every_translated_request(fake, case):
    body = anthropic_chat.chat_request(case["openai"], model=MODEL)
    response = post(fake, body)
    assert response.status_code == 200, response.text
    assert fake.requests[-1].json() == body
    completion = golden.completion_of(translate(response))
    assert completion.choices[0].message.content == "Hello from the fake."


def test_the_fake_refuses_an_untranslated_openai_body(fake):
    body = {"model": MODEL, "messages": [{"role": "system", "content": "x"}], "max_tokens": 5}
    response = post(fake, body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    message_text = anthropic_chat.error_message(400, response.json())
    assert message_text == "messages.0.role: Input should be 'user' or 'assistant'"


def test_the_fake_refuses_a_request_without_anthropic_version(fake):
    body = anthropic_chat.chat_request(
        {"messages": [{"role": "user", "content": "Hi"}]}, model=MODEL
    )
    response = post(fake, body, headers={"x-api-key": "k"})
    assert response.status_code == 400
    assert (
        anthropic_chat.error_message(400, response.json())
        == "anthropic-version: header is required"
    )
    assert post(fake, body, headers={**HEADERS, "x-api-key": "bad"}).status_code == 401


def test_streamed_tool_calls_assemble_to_the_non_streamed_answer(fake):
    answer = message(text="Checking.", tools=TOOLS)
    fake.queue(fake.reply(answer, stream=True), fake.reply(answer))
    body = {"messages": [{"role": "user", "content": "Weather?"}], "stream": True}
    chunks = translate(post(fake, anthropic_chat.chat_request(body, model=MODEL), stream=True))
    whole = translate(post(fake, anthropic_chat.chat_request(body, model=MODEL)))
    golden.check_stream(chunks)
    golden.same_answer(golden.assemble(chunks), whole)
    assert whole["choices"][0]["message"]["tool_calls"][1]["function"]["name"] == "get_time"


def test_an_error_event_mid_stream_is_an_upstream_error_with_retry_after(fake):
    error = (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    parts = sse(events(message(text="Hello"))[:4] + [error])
    fake.queue(Reply.streamed(parts, "text/event-stream"))
    response = post(
        fake, {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    )
    chunks = anthropic_chat.chat_stream(decode_sse(response.iter_lines()), model=MODEL)
    with pytest.raises(UpstreamError) as raised:
        list(chunks)
    assert (raised.value.status, raised.value.message) == (503, "Overloaded")
    assert raised.value.headers == {"Retry-After": anthropic_chat.OVERLOADED_RETRY_AFTER}


def test_a_connection_reset_mid_stream_fails_and_the_partial_stream_is_not_an_answer(fake):
    parts = sse(events(message(text="Hello there"))[:5])
    fake.queue(Reply.streamed(parts, "text/event-stream", reset=True))
    body = {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    response = post(fake, body, stream=True)
    received = []
    with pytest.raises(requests.exceptions.RequestException):
        for line in response.iter_lines():
            received.append(line)
    with pytest.raises(BadGateway):
        list(anthropic_chat.chat_stream(decode_sse(received), model=MODEL))


def test_529_overloaded_becomes_503_with_retry_after():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert anthropic_chat.error_status(529, body) == (503, {"Retry-After": "10"})
    assert anthropic_chat.error_status(529, body, retry_after="3") == (503, {"Retry-After": "3"})
    assert anthropic_chat.error_status(429, {}) == (429, {})
    assert anthropic_chat.error_message(529, body) == "Overloaded"
    assert anthropic_chat.error_message(502, "<html>") == "anthropic answered 502."
