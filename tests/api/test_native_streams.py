"""Translated streams through the route: the provider's silences reach the server as ticks
(so a client that leaves is noticed within one), and faults mid-stream end the client's
stream with one OpenAI-shaped error event, for every native family."""

import time

import orjson
import pytest

from models_api.usage import recorder
from models_api.usage.models import Usage
from tests.api.conftest import post
from tests.fakes import anthropic, bedrock, cohere, google
from tests.fakes.server import Reply, sse

pytestmark = pytest.mark.django_db
BODY = {"model": "the-model", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
ANSWERS = {
    "anthropic": anthropic.message,
    "google": google.answer,
    "bedrock": bedrock.answer,
    "cohere": cohere.answer,
}


def streamed(provider: str, fake, **faults) -> Reply:
    return fake.reply(ANSWERS[provider](text="Hello from the fake."), stream=True, **faults)


def test_a_client_leaving_during_a_silence_closes_the_provider_within_a_second(
    native, settings, monkeypatch
):
    provider, fake, client = native
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 30.0
    fake.queue(streamed(provider, fake, interval=5.0))  # 5 s of silence after each event
    response = post(client, "chat/completions", BODY)
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert orjson.loads(first.removeprefix(b"data: "))["choices"][0]["delta"]["role"] == (
        "assistant"
    )
    while (piece := next(chunks)) != b"":  # the rest of the first event's chunks, then a tick
        assert piece.startswith(b"data: ")
    ticked = time.monotonic()
    assert next(chunks) == b""  # another tick, within half a second: still silent
    assert time.monotonic() - ticked < 1.0
    # Closing the response ends the request (request_finished), which on PostgreSQL closes the
    # test's connection and its transaction: the usage record is taken as it is put.
    recorded = []
    monkeypatch.setattr(recorder.recorder(), "put", recorded.append)
    left = time.monotonic()
    response.close()  # what the WSGI server does when the client has gone
    deadline = left + 2.0
    while not fake.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.closed and fake.closed[0] - left < 1.0
    assert [record.status for record in recorded] == [499]


def _error_event(response) -> dict:
    """The client's stream: data events, the last one an error, then the end (no [DONE])."""
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert events[-1] == b"" and b"[DONE]" not in events[-2]
    found = [orjson.loads(e.removeprefix(b"data: ")) for e in events[:-1]]
    assert all("error" not in e for e in found[:-1]) and found[0]["choices"]
    error = found[-1]["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    return error


def test_a_connection_reset_mid_stream_is_an_error_event_then_the_end(native):
    provider, fake, client = native
    reply = streamed(provider, fake)
    fake.queue(Reply.streamed(reply.parts[:2], reply.headers["Content-Type"], reset=True))
    error = _error_event(post(client, "chat/completions", BODY))
    assert error["code"] == "stream_broken" and error["provider"] == provider
    assert Usage.objects.get().status == 502


MALFORMED = {
    "anthropic": b"event: content_block_delta\ndata: {not json\n\n",
    "google": b"data: {not json\r\n\r\n",
    "cohere": b"event: content-delta\ndata: {not json\n\n",
    "bedrock": None,  # a frame whose checksum fails
}


def test_a_malformed_event_mid_stream_is_an_error_event_then_the_end(native):
    from tests.fakes import eventstream

    provider, fake, client = native
    reply = streamed(provider, fake)
    bad = MALFORMED[provider] or eventstream.corrupt(reply.parts[1])
    fake.queue(Reply.streamed([reply.parts[0], bad], reply.headers["Content-Type"], stall=30))
    started = time.monotonic()
    error = _error_event(post(client, "chat/completions", BODY))
    assert time.monotonic() - started < 5  # the gateway ends it; it does not wait for more
    assert error["type"] == "upstream_error" and error["code"] == "bad_gateway"
    assert "not JSON" in error["message"] or "corrupt" in error["message"]
    assert Usage.objects.get().status == 502


def _provider_error(provider: str, reply: Reply, message: str) -> list[bytes]:
    """The first event of `reply`, then the family's own error event mid-stream."""
    if provider == "anthropic":
        data = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
        return [reply.parts[0], *sse([("error", data)])]
    if provider == "google":
        data = {"error": {"code": 503, "message": message, "status": "UNAVAILABLE"}}
        return [reply.parts[0], *sse([("", data)], named=False, newline="\r\n")]
    if provider == "cohere":
        delta = {"finish_reason": "ERROR", "error": message, "usage": {}}
        return [reply.parts[0], *sse([("message-end", {"type": "message-end", "delta": delta})])]
    from tests.fakes import eventstream

    return [reply.parts[0], eventstream.exception("throttlingException", message)]


STATUS = {"anthropic": 503, "google": 503, "cohere": 502, "bedrock": 429}


def test_a_provider_error_event_mid_stream_is_an_error_event_then_the_end(native):
    provider, fake, client = native
    reply = streamed(provider, fake)
    credential = {"anthropic": "a-key-0123", "google": "g-key-0123", "cohere": "c-key-0123",
                  "bedrock": "b-secret-0123"}[provider]  # fmt: skip
    parts = _provider_error(provider, reply, f"Overloaded, key {credential}")
    fake.queue(Reply.streamed(parts, reply.headers["Content-Type"], stall=30))
    error = _error_event(post(client, "chat/completions", BODY))
    assert error["provider"] == provider and "Overloaded" in error["message"]
    assert credential not in error["message"] and "[REDACTED]" in error["message"]
    assert Usage.objects.get().status == STATUS[provider]
