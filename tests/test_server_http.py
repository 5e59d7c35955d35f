"""The gateway under its production server: what the server answers itself, and in what shape.

Requests the server can parse reach the gateway's own limits (a JSON 414/431); what Granian
refuses before the app sees it (over 100 headers, a 64 KB target, a header block over its
buffer, bytes that are not HTTP) is a bare status line with an empty body: nothing the
application can make JSON, since no application code runs for it.
"""

import contextlib
import json
import socket

import pytest

from tests.scale.stack import sqlite_stack, sqlite_template


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("server-http")
    with sqlite_stack(sqlite_template(workdir), workdir) as stack:
        [started] = stack.gateways(1)
        yield started


def exchange(gateway, head: bytes) -> tuple[int, dict, bytes]:
    """One raw request that asks for Connection: close; (status, headers, body) of the answer."""
    port = int(gateway.url.rsplit(":", 1)[1])
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # The server may answer and close before reading all of an oversized request.
        with contextlib.suppress(ConnectionError):
            sock.sendall(head)
        # ... and a reset that follows may cut its answer short after the status line.
        with contextlib.suppress(ConnectionError):
            while chunk := sock.recv(65536):
                data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        headers[name.lower()] = value
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return int(lines[0].split()[1]), headers, body


def dechunk(data: bytes) -> bytes:
    body = b""
    while True:
        size, _, data = data.partition(b"\r\n")
        if int(size, 16) == 0:
            return body
        body, data = body + data[: int(size, 16)], data[int(size, 16) + 2 :]


def request(path: str = "/v1/models", *, method: str = "GET", extra: bytes = b"") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        + extra
        + (b"Connection: close\r\n\r\n")
    )


def json_error(answer, status: int, code: str) -> dict:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code
    return headers


def test_a_long_url_is_the_gateways_json_414(gateway):
    answer = exchange(gateway, request("/v1/models?search=" + "a" * 50_000))
    json_error(answer, 414, "uri_too_long")


def test_a_big_header_is_the_gateways_json_431(gateway):
    answer = exchange(gateway, request(extra=b"X-Big: " + b"a" * 70_000 + b"\r\n"))
    json_error(answer, 431, "request_headers_too_large")


def test_many_headers_are_the_gateways_json_431(gateway):
    headers = b"".join(b"X-H%d: v\r\n" % n for n in range(80))
    json_error(exchange(gateway, request(extra=headers)), 431, "request_headers_too_large")


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (request(extra=b"".join(b"X-H%d: v\r\n" % n for n in range(150))), 431),
        (request("/v1/models?q=" + "a" * 70_000), 414),
        (request(extra=b"X-Big: " + b"a" * 500_000 + b"\r\n"), 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (request(extra=b"Content-Length: twelve\r\n"), 400),
    ],
    ids=["150 headers", "70 KB target", "500 KB header", "not HTTP", "bad Content-Length"],
)
def test_what_the_server_refuses_itself_is_a_bare_status(gateway, head, status):
    got, headers, body = exchange(gateway, head)
    if body:
        # Granian reads a head in pieces: a 500 KB header sometimes reaches the gateway, whose
        # own refusal is its JSON error with the same status. Never anything else.
        assert got == status and json.loads(body)["error"]["type"] == "invalid_request_error"
        assert headers["content-type"] == "application/json"
        return
    assert got == status
    # Whatever of the head arrived before a reset: no body announced, no HTML, closed.
    assert headers.get("content-length", "0") == "0"
    assert "content-type" not in headers
    assert headers.get("connection", "close") == "close"


def test_a_write_to_healthz_is_a_json_405_not_a_csrf_page(gateway):
    for path in ("/healthz", "/readyz", "/metrics"):
        for method in ("POST", "PUT"):
            answer = exchange(gateway, request(path, method=method))
            assert json_error(answer, 405, "method_not_allowed")["allow"] == "GET, HEAD, OPTIONS"


def test_options_and_head(gateway):
    status, headers, body = exchange(gateway, request("/healthz", method="OPTIONS"))
    assert (status, headers["allow"], body) == (200, "GET, HEAD, OPTIONS", b"")
    got = exchange(gateway, request("/metrics"))
    status, headers, body = exchange(gateway, request("/metrics", method="HEAD"))
    assert (status, body) == (200, b"")
    assert headers["content-type"] == got[1]["content-type"]


def test_an_unknown_method_under_v1_is_json(gateway):
    answer = exchange(gateway, request("/v1/models", method="BREW"))
    assert answer[0] in (401, 405)
    assert answer[1]["content-type"] == "application/json"
    assert "error" in json.loads(answer[2])


def test_an_unknown_url_is_json_and_an_admin_404_is_html(gateway):
    json_error(exchange(gateway, request("/v1/nope")), 404, "unknown_url")
    json_error(exchange(gateway, request("/v1/models%ff%fe")), 404, "unknown_url")
    status, headers, _ = exchange(gateway, request("/admin/nothing/here/"))
    # The admin sends an anonymous browser to its login page (HTML), never API JSON.
    assert status == 302 and "/admin/login/" in headers["location"]
