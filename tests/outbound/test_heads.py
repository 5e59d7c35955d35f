"""outbound.heads reads a response head as http.client does, without the email package."""

import http.client
import io
import socket
import threading

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from models_api.outbound import egress, heads
from models_api.outbound.pool import session

NAME = st.text(st.sampled_from("abcxyzABC-_0123456789!#$%&'*+.^`|~"), min_size=1, max_size=20)
VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
FOLD = st.text(st.sampled_from(" \t"), min_size=1, max_size=3).flatmap(
    lambda space: VALUE.map(lambda text: space + text.strip())
)
FIELD = st.tuples(
    NAME, st.text(st.sampled_from(" \t"), max_size=2), VALUE, st.lists(FOLD, max_size=2)
)


def head_bytes(fields) -> bytes:
    lines = []
    for name, space, value, folds in fields:
        lines.append(f"{name}:{space}{value}\r\n")
        lines.extend(f"{fold}\r\n" for fold in folds)
    return ("".join(lines) + "\r\n").encode("latin-1")


@settings(max_examples=300, deadline=None)
@given(st.lists(FIELD, max_size=12))
def test_every_well_formed_head_reads_as_http_client_reads_it(fields):
    raw = head_bytes(fields)
    expected = http.client.parse_headers(io.BytesIO(raw))
    got = heads.read_head(io.BytesIO(raw))
    assert got.items() == expected.items()
    assert got.get_all("content-length") == expected.get_all("content-length")


def test_the_body_after_the_head_is_left_unread():
    fp = io.BytesIO(b"Content-Type: application/json\r\nX-A:  b \r\n\r\n{}")
    message = heads.read_head(fp)
    assert message.items() == [("Content-Type", "application/json"), ("X-A", "b ")]
    assert message["content-type"] == "application/json"  # case-insensitive, as before
    assert fp.read() == b"{}"


def test_a_line_that_is_no_header_is_dropped_and_the_rest_kept():
    message = heads.read_head(
        io.BytesIO(b"X-A: 1\r\nnot a header\r\nbad name: 2\r\nX-B: 3\r\n\r\n")
    )
    assert message.items() == [("X-A", "1"), ("X-B", "3")]


def test_http_clients_limits_still_hold():
    too_many = b"".join(b"X-%d: 1\r\n" % n for n in range(101)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        heads.read_head(io.BytesIO(too_many))
    with pytest.raises(http.client.LineTooLong):
        heads.read_head(io.BytesIO(b"X-A: " + b"a" * 70_000 + b"\r\n\r\n"))


class OneAnswer:
    """A server on 127.0.0.1 that answers each connection's first request with `answer`."""

    def __init__(self, answer: bytes):
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1/x"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        with self.listener:
            conn, _ = self.listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                conn.sendall(self.answer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(5)


@pytest.mark.parametrize(
    ("answer", "body", "headers"),
    [
        (
            b"HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Long: a\r\n  b\r\n\r\n{}",
            b"{}",
            {"X-Long": "a b", "Content-Length": "2"},
        ),
        (
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'2\r\n{"\r\n3\r\na"}\r\n0\r\n\r\n',
            b'{"a"}',
            {"Transfer-Encoding": "chunked"},
        ),
        (b"HTTP/1.0 200 OK\r\nX-Close: 1\r\n\r\nuntil the end", b"until the end", {"X-Close": "1"}),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", b"", {"Content-Length": "5"}),
    ],
)
def test_the_pool_reads_framing_and_headers_through_it(answer, body, headers):
    with OneAnswer(answer) as server:
        response = session(egress.OPERATOR).get(server.url, timeout=5)
    assert response.content == body
    assert {name: response.headers[name] for name in headers} == headers
    assert "X-Early" not in response.headers  # the interim answer's head is skipped
    assert isinstance(response.raw._original_response, heads.Response)


def test_an_unknown_protocol_is_refused_as_http_client_refuses_it():
    with OneAnswer(b"SPDY/3 200 OK\r\n\r\n") as server, pytest.raises(requests.ConnectionError):
        session(egress.OPERATOR).get(server.url, timeout=5)
