"""The relay: provider SSE in, client SSE out, each event as it comes, always ended."""

import logging
import threading
import time

import orjson
import pytest

from models_api.api.relay import StreamOutcome, relay_openai_stream
from models_api.errors import GatewayTimeout
from models_api.outbound import egress, sse, streaming
from models_api.usage.tokens import TokenCounts
from tests import stream_server as ss

CHUNK = (
    b'{"id":"c1",  "object":"chat.completion.chunk",'
    b'"choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}'
)
USAGE = (
    b'{"id":"c1","object":"chat.completion.chunk","choices":[],'
    b'"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}'
)


class FakeStream:
    """What the relay needs of outbound.streaming.Stream: chunks of bytes, close()."""

    provider = "fake"
    hidden = ("sk-fake-secret",)

    def __init__(self, *chunks):
        self.chunks = chunks
        self.closed = False

    def __iter__(self):
        for chunk in self.chunks:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk

    def close(self):
        self.closed = True


def _provider_stream(server):
    url = server.url + "/v1/chat/completions"
    return streaming.post_stream(url, provider="fake", body=b"{}", policy=egress.OPERATOR)


def relay(stream, **kwargs):
    outcomes: list[StreamOutcome] = []
    out = list(relay_openai_stream(stream, on_finish=outcomes.append, **kwargs))
    assert len(outcomes) == 1
    return out, outcomes[0]


def test_events_go_on_re_framed_not_re_serialised():
    stream = FakeStream(b"data:" + CHUNK[:30], CHUNK[30:] + b"\r\n\r\n", b"data: [DONE]\r\n\r\n")
    out, outcome = relay(stream)
    assert out == [b"data: " + CHUNK + b"\n\n", sse.DONE]  # spacing and key order kept
    assert outcome.completed and outcome.events == 1
    assert stream.closed


def test_a_stream_without_done_still_ends_with_done():
    out, outcome = relay(FakeStream(b"data: " + CHUNK))  # no blank line, no [DONE]
    assert b"".join(out) == b"data: " + CHUNK + b"\n\n" + sse.DONE
    assert outcome.completed


def test_nothing_after_the_providers_done_is_relayed():
    stream = FakeStream(b"data: [DONE]\n\ndata: " + CHUNK + b"\n\n", b"data: " + CHUNK + b"\n\n")
    out, _ = relay(stream)
    assert out == [sse.DONE]
    assert stream.closed


def test_the_usage_chunk_is_dropped_only_when_the_client_did_not_ask():
    wire = b"data: " + CHUNK + b"\n\ndata: " + USAGE + b"\n\ndata: [DONE]\n\n"
    dropped, outcome = relay(FakeStream(wire), drop_usage_chunk=True)
    assert b"".join(dropped) == b"data: " + CHUNK + b"\n\n" + sse.DONE
    assert outcome.usage == TokenCounts(prompt=9, completion=2)
    kept, outcome = relay(FakeStream(wire), drop_usage_chunk=False)
    assert b"".join(kept) == b"data: " + CHUNK + b"\n\ndata: " + USAGE + b"\n\n" + sse.DONE
    assert outcome.usage == TokenCounts(prompt=9, completion=2)


def test_an_error_after_the_first_byte_is_one_error_event_then_the_end():
    error = GatewayTimeout("fake sent nothing", provider="fake", code="stream_idle_timeout")
    stream = FakeStream(b"data: " + CHUNK + b"\n\n", error)
    out, outcome = relay(stream)
    assert out[0] == b"data: " + CHUNK + b"\n\n"
    assert len(out) == 2 and sse.DONE not in out
    assert orjson.loads(out[1].removeprefix(b"data: "))["error"]["code"] == "stream_idle_timeout"
    assert outcome.error is error and not outcome.completed
    assert stream.closed


def test_a_bug_mid_stream_is_an_internal_error_event(caplog):
    out, outcome = relay(FakeStream(b"data: " + CHUNK + b"\n\n", RuntimeError("bug")))
    assert orjson.loads(out[-1][6:])["error"]["type"] == "api_error"
    assert outcome.error.status == 500
    assert "relaying the fake stream failed" in caplog.text


def test_the_providers_own_error_event_goes_on_and_ends_the_stream():
    error = b'{"error":{"message":"overloaded","type":"server_error"}}'
    stream = FakeStream(b"data: " + error + b"\n\ndata: " + CHUNK + b"\n\n")
    out, outcome = relay(stream)
    assert out == [b"data: " + error + b"\n\n"]
    assert outcome.error.message == "overloaded" and not outcome.completed


def test_an_event_over_the_cap_is_an_error_event(settings):
    settings.GATEWAY_MAX_RESPONSE_BYTES = 100
    out, outcome = relay(FakeStream(b"data: " + b"x" * 200))
    assert b"larger than 100 bytes" in out[-1]
    assert outcome.error.status == 502


def test_other_data_and_named_events_pass_through():
    out, _ = relay(FakeStream(b"event: ping\ndata: not json\n\n"))
    assert out == [b"event: ping\ndata: not json\n\n", sse.DONE]


def test_silence_becomes_empty_writes_then_a_keep_alive_comment():
    stream = FakeStream(b"", b"", b"data: " + CHUNK + b"\n\n")
    out, _ = relay(stream, keep_alive_after=0)
    assert out[:2] == [sse.KEEP_ALIVE, sse.KEEP_ALIVE]
    out, _ = relay(FakeStream(b"", b""), keep_alive_after=60)
    assert out == [b"", b"", sse.DONE]


def test_a_client_that_leaves_closes_the_provider_and_records_it():
    stream = FakeStream(b"data: " + CHUNK + b"\n\n", b"data: " + CHUNK + b"\n\n")
    outcomes = []
    chunks = relay_openai_stream(stream, on_finish=outcomes.append)
    next(chunks)
    chunks.close()  # what the WSGI server does when a write to the client fails
    assert stream.closed
    assert outcomes[0].client_left and not outcomes[0].completed
    assert outcomes[0].events == 1


def test_a_failing_on_finish_is_logged_not_raised(caplog):
    def broken(outcome):
        raise RuntimeError("database down")

    with caplog.at_level(logging.ERROR):
        assert list(relay_openai_stream(FakeStream(), on_finish=broken)) == [sse.DONE]
    assert "recording the end of a fake stream failed" in caplog.text


def test_over_a_real_provider_a_departed_client_closes_its_connection(settings):
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 5.0
    gate = threading.Event()

    def handler(exchange):
        exchange.send_head(more=b"data: " + CHUNK + b"\n\n")
        exchange.wait_for_close()
        gate.set()

    with ss.serve(handler) as server:
        stream = _provider_stream(server)
        chunks = relay_openai_stream(stream)
        assert next(chunks) == b"data: " + CHUNK + b"\n\n"
        assert next(chunks) == b""  # the provider is silent: a tick, within 0.5 s
        left_at = time.monotonic()
        chunks.close()
        assert gate.wait(1.0)
        assert server.client_closed_at[0] - left_at < 1.0


@pytest.mark.parametrize("asked", [True, False])
def test_end_to_end_the_client_gets_usage_only_when_it_asked(asked, settings):
    wire = b"data: " + CHUNK + b"\n\ndata: " + USAGE + b"\n\ndata: [DONE]\n\n"

    def handler(exchange):
        exchange.send_head(more=wire)
        exchange.end()

    with ss.serve(handler) as server:
        stream = _provider_stream(server)
        out, outcome = relay(stream, drop_usage_chunk=not asked)
    assert (USAGE in b"".join(out)) is asked
    assert outcome.usage.prompt == 9


@pytest.mark.django_db  # closing a response sends request_finished, which closes connections
def test_the_response_streams_uncompressed_and_closing_it_closes_the_provider(rf):
    from django.http import HttpResponse

    from models_api.api.compression import GZipMiddleware
    from models_api.api.relay import event_stream_response

    stream = FakeStream(b"data: " + CHUNK + b"\n\n", b"data: " + CHUNK + b"\n\n")
    response = event_stream_response(
        relay_openai_stream(stream), headers={"x-portkey-provider": "fake"}
    )
    request = rf.post("/v1/chat/completions", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    gzip = GZipMiddleware(lambda r: response)
    assert gzip(request) is response
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    assert response["x-portkey-provider"] == "fake"
    assert not response.has_header("Content-Encoding")
    assert not response.has_header("Content-Length")
    assert next(iter(response)) == b"data: " + CHUNK + b"\n\n"
    response.close()  # what the WSGI server does when the client has gone
    assert stream.closed
    json_answer = HttpResponse(b"{}" * 512, content_type="application/json")
    assert GZipMiddleware(lambda r: json_answer)(request)["Content-Encoding"] == "gzip"
    short_answer = HttpResponse(b"{}" * 511, content_type="application/json")
    assert not GZipMiddleware(lambda r: short_answer)(request).has_header("Content-Encoding")


class SilentStream(FakeStream):
    """Its chunks, then `ticks` empty chunks (the provider's silence) `every` seconds apart."""

    def __init__(self, *chunks, ticks: int, every: float):
        super().__init__(*chunks)
        self.ticks, self.every = ticks, every

    def __iter__(self):
        yield from super().__iter__()
        for _ in range(self.ticks):
            time.sleep(self.every)
            yield b""


def test_a_translated_streams_silence_is_ticks_then_a_keep_alive(monkeypatch):
    from models_api.api import relay as relay_module
    from models_api.api.adapters import NATIVE

    monkeypatch.setattr(relay_module, "KEEP_ALIVE_AFTER", 0.25)
    start = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m",' \
        b'"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'  # fmt: skip
    stream = SilentStream(start, ticks=3, every=0.1)
    outcomes = []
    chunks = NATIVE[("anthropic", "chat")].chunks(
        stream, model="m", drop_usage=True, on_finish=outcomes.append
    )
    out = list(chunks)
    assert out[0].startswith(b'data: {"id":"m"')
    assert out[1:4] == [b"", b"", sse.KEEP_ALIVE]  # the third tick is 0.3 s into the silence
    assert out[-1].startswith(b'data: {"error":') and b"before message_stop" in out[-1]
    assert stream.closed and outcomes[0].events == 1
