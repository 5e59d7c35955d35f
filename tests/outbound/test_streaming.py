"""Streamed POSTs against a real server on 127.0.0.1: chunks as they come, idle bound, close."""

import gzip
import threading
import time

import pytest
import responses

from models_api.errors import BadGateway, GatewayTimeout, UpstreamError
from models_api.outbound import egress, streaming
from tests import stream_server as ss

BODY = b'{"model": "m", "stream": true,  "messages": []}'
EVENT_1 = b'data: {"n": 1}\n\n'
EVENT_2 = b'data: {"n": 2}\n\n'


@pytest.fixture(autouse=True)
def timeouts(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 1.0
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 5.0


def _open(server, **kwargs):
    kwargs.setdefault("tick", 0.1)
    return streaming.post_stream(
        server.url + "/v1/chat/completions",
        provider="fake",
        body=BODY,
        policy=egress.OPERATOR,
        **kwargs,
    )


def _data(stream):
    """The stream's bytes, ticks left out."""
    return [chunk for chunk in stream if chunk]


def test_a_chunk_arrives_while_the_server_still_holds_the_rest():
    gate = threading.Event()

    def handler(exchange):
        exchange.send_head(more=EVENT_1)  # the first event in the head's packet
        exchange.hold(gate)
        exchange.send(EVENT_2)
        exchange.end()

    with ss.serve(handler) as server:
        stream = _open(server)
        assert stream.status == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        first = next(chunk for chunk in stream if chunk)
        received_at = time.monotonic()
        assert first == EVENT_1
        assert server.ended_at is None  # the server has not sent the rest yet
        gate.set()
        assert _data(stream) == [EVENT_2]
        assert received_at < server.ended_at


def test_the_body_and_headers_go_as_given():
    def handler(exchange):
        exchange.send_head()
        exchange.end()

    with ss.serve(handler) as server:
        assert _data(_open(server, headers={"Authorization": "Bearer sk-x"})) == []
        exchange = server.requests[0]
        assert exchange.body == BODY
        head = exchange.head.decode().lower()
        assert head.startswith("post /v1/chat/completions http/1.1")
        for line in ("accept: text/event-stream", "accept-encoding: identity"):
            assert line in head
        assert "content-type: application/json" in head
        assert "authorization: bearer sk-x" in head


@pytest.mark.parametrize("framing", ["chunked", "content-length", "until-close"])
def test_each_framing_gives_chunks_as_they_are_sent(framing):
    gate = threading.Event()
    headers = {
        "chunked": {},
        "content-length": {"Content-Length": str(len(EVENT_1 + EVENT_2))},
        "until-close": {"Connection": "close"},
    }[framing]

    def handler(exchange):
        exchange.send_head(headers=headers, chunked=framing == "chunked")
        exchange.send(EVENT_1)
        exchange.hold(gate)
        exchange.send(EVENT_2)
        exchange.end()
        return framing != "until-close"

    with ss.serve(handler) as server:
        stream = _open(server)
        chunks = iter(stream)
        assert next(c for c in chunks if c) == EVENT_1
        gate.set()
        assert [c for c in chunks if c] == [EVENT_2]


def test_silence_yields_ticks_then_the_idle_timeout_ends_the_stream(settings):
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 0.6

    def handler(exchange):
        exchange.send_head(more=EVENT_1)
        exchange.wait_for_close()

    with ss.serve(handler) as server:
        stream = _open(server)
        seen = []
        started = time.monotonic()
        with pytest.raises(GatewayTimeout) as caught:
            for chunk in stream:
                seen.append(chunk)
        waited = time.monotonic() - started
        assert seen[0] == EVENT_1
        assert seen[1:] and set(seen[1:]) == {b""}  # a tick every 0.1 s of silence
        assert len(seen[1:]) >= 4
        assert 0.55 < waited < 1.5
        assert caught.value.code == "stream_idle_timeout"
        assert "GATEWAY_STREAM_IDLE_TIMEOUT" in caught.value.message
        _wait_until(lambda: server.client_closed_at)  # the connection was closed


def test_a_healthy_stream_outlives_the_upstream_timeout(settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.3
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 0.5
    events = [f"data: {i}\n\n".encode() for i in range(8)]

    def handler(exchange):
        exchange.send_head()
        for event in events:
            time.sleep(0.15)
            exchange.send(event)
        exchange.end()

    with ss.serve(handler) as server:
        started = time.monotonic()
        assert b"".join(_data(_open(server))) == b"".join(events)
        assert time.monotonic() - started > 1.0  # over three upstream timeouts, not cut


def test_close_closes_the_providers_socket_at_once():
    def handler(exchange):
        exchange.send_head(more=EVENT_1)
        exchange.wait_for_close()

    with ss.serve(handler) as server:
        stream = _open(server)
        assert next(iter(stream)) == EVENT_1
        closed_at = time.monotonic()
        stream.close()
        _wait_until(lambda: server.client_closed_at, within=1.0)
        assert server.client_closed_at[0] - closed_at < 1.0
        assert list(stream) == []


def test_close_from_another_thread_wakes_a_blocked_read():
    def handler(exchange):
        exchange.send_head()
        exchange.wait_for_close()

    with ss.serve(handler) as server:
        stream = _open(server, tick=10)  # no tick to wake the reader by itself
        threading.Timer(0.2, stream.close).start()
        started = time.monotonic()
        assert list(stream) == []
        assert time.monotonic() - started < 1.0
        _wait_until(lambda: server.client_closed_at, within=1.0)


def test_a_finished_stream_gives_its_connection_back_to_the_pool():
    def handler(exchange):
        exchange.send_head(more=EVENT_1)
        exchange.end()
        return True

    with ss.serve(handler) as server:
        assert _data(_open(server)) == [EVENT_1]
        assert _data(_open(server)) == [EVENT_1]
        assert server.connections == 1
        assert len(server.requests) == 2


def test_a_stream_closed_early_is_not_pooled():
    def handler(exchange):
        exchange.send_head(more=EVENT_1)
        exchange.send(EVENT_2)
        exchange.end()
        return True

    with ss.serve(handler) as server:
        stream = _open(server)
        next(iter(stream))
        stream.close()
        assert _data(_open(server))  # works, on a new connection
        assert server.connections == 2


@pytest.mark.parametrize(
    ("status", "error"), [(429, UpstreamError), (401, UpstreamError), (500, BadGateway)]
)
def test_an_error_status_is_read_whole_and_raised(status, error):
    def handler(exchange):
        exchange.answer(status, {"error": {"message": f"refused with {status}"}})

    with ss.serve(handler) as server, pytest.raises(error) as caught:
        _open(server)
    assert caught.value.status == (502 if status == 500 else status)
    assert f"refused with {status}" in caught.value.message
    assert len(server.requests) == 1


def test_a_provider_that_never_answers_is_a_504_within_the_upstream_timeout():
    def handler(exchange):
        exchange.wait_for_close()

    with ss.serve(handler) as server:
        started = time.monotonic()
        with pytest.raises(GatewayTimeout):
            _open(server)
        assert time.monotonic() - started < 1.5
        assert len(server.requests) == 1  # not retried


def test_a_stream_cut_before_its_end_is_a_502():
    def handler(exchange):
        exchange.send_head(more=EVENT_1)  # chunked, and no last chunk before the close

    with ss.serve(handler) as server:
        stream = _open(server)
        with pytest.raises(BadGateway) as caught:
            _data(stream)
        assert caught.value.code == "stream_broken"


def test_a_gzipped_stream_is_decoded():
    packed = gzip.compress(EVENT_1 + EVENT_2)

    def handler(exchange):
        exchange.send_head(headers={"Content-Encoding": "gzip"})
        exchange.send(packed[:10])
        exchange.send(packed[10:])
        exchange.end()

    with ss.serve(handler) as server:
        assert b"".join(_data(_open(server))) == EVENT_1 + EVENT_2


def test_an_encoding_not_asked_for_is_refused():
    def handler(exchange):
        exchange.send_head(headers={"Content-Encoding": "br"})
        exchange.end()

    with ss.serve(handler) as server, pytest.raises(BadGateway, match="'br'"):
        _open(server)


def test_under_responses_the_body_is_streamed_too():
    url = "https://api.example.test/v1/chat/completions"
    with responses.RequestsMock() as mocked:
        mocked.post(url, body=EVENT_1 + EVENT_2, content_type="text/event-stream")
        stream = streaming.post_stream(url, provider="fake", body=BODY)
        assert b"".join(_data(stream)) == EVENT_1 + EVENT_2
        assert mocked.calls[0].request.body == BODY


def _wait_until(condition, within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)
