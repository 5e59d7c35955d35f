"""Streams under the production server (Granian, WSGI): chunks as they come, and a client that
leaves closes the provider's connection within a second, forwarded or translated (Anthropic),
even while the provider is silent."""

import json
import socket
import time

import pytest

from tests.fakes.anthropic import FakeAnthropic, message
from tests.fakes.openai import FakeOpenAI
from tests.scale.cluster import Gateway, base_env, manage, wait_for

PROVIDER_KEY = "sk-fake-granian"
ANTHROPIC_KEY = "sk-ant-fake-granian"


@pytest.fixture(scope="module")
def provider():
    with FakeOpenAI(api_key=PROVIDER_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def claude():
    with FakeAnthropic(api_key=ANTHROPIC_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def gateway(provider, claude, tmp_path_factory):
    """The production server (gateway_project.server: Granian WSGI) on a fresh SQLite
    database; (base URL, gateway key)."""
    folder = tmp_path_factory.mktemp("granian")
    env = base_env(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        GATEWAY_TRUSTED_CUSTOM_HOSTS=",".join(
            fake.url.removeprefix("http://") for fake in (provider, claude)
        ),
        FAKE_CREDENTIAL=PROVIDER_KEY,
        FAKE_ANTHROPIC_CREDENTIAL=ANTHROPIC_KEY,
    )
    assert manage(env, "migrate", "--noinput").returncode == 0
    created = manage(env, "create_virtual_key", "--name", "fake", "--slug", "fake",
                     "--provider", "openai", "--base-url", provider.url + "/v1",
                     "--credential-env", "FAKE_CREDENTIAL")  # fmt: skip
    assert created.returncode == 0, created.stderr
    created = manage(env, "create_virtual_key", "--name", "claude", "--slug", "claude",
                     "--provider", "anthropic", "--base-url", claude.url,
                     "--credential-env", "FAKE_ANTHROPIC_CREDENTIAL")  # fmt: skip
    assert created.returncode == 0, created.stderr
    made = manage(env, "create_api_key", "--name", "granian", "--all")
    key = next(word for word in made.stdout.split() if word.startswith("gwk_"))
    server = Gateway(env=env, log=folder / "server.log", workers=1, threads=8)
    try:
        server.wait_ready(seconds=60)
        yield server.url, key
    finally:
        server.stop()


def _open_stream(url: str, key: str, virtual_key: str = "fake") -> socket.socket:
    """POST a streamed chat by hand, so the test decides when the client goes away."""
    messages = [{"role": "user", "content": "Hi"}]
    body = json.dumps({"model": "gpt-4o", "stream": True, "messages": messages}).encode()
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nx-portkey-api-key: {key}\r\n"
        f"x-portkey-virtual-key: {virtual_key}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def test_chunks_arrive_as_the_provider_sends_them(gateway, provider):
    url, key = gateway
    provider.queue(provider.chat(text="abcdef", stream=True, pieces=3, interval=0.5))
    started = time.monotonic()
    with _open_stream(url, key) as sock:
        first = sock.recv(65536)
        first_at = time.monotonic() - started
        rest = b""
        while b"[DONE]" not in rest:
            data = sock.recv(65536)
            assert data, "the stream ended before [DONE]"
            rest += data
    assert first.startswith(b"HTTP/1.1 200") and b"text/event-stream" in first
    # The provider takes 1.5 s over its pieces; the first ones are not held until the end.
    assert first_at < 1.0 and time.monotonic() - started >= 1.5
    assert b'"content": "ab"' in first + rest and b'"content": "ef"' in rest


def test_a_client_that_leaves_closes_the_provider_connection_within_a_second(gateway, provider):
    url, key = gateway
    provider.closed.clear()
    provider.queue(provider.chat(text="x" * 200, stream=True, pieces=100, interval=0.2))
    sock = _open_stream(url, key)
    received = b""
    while b'"content": "xx"' not in received:  # the stream is under way
        data = sock.recv(65536)
        assert data, "the stream ended early"
        received += data
    sock.close()
    left = time.monotonic()
    closed = wait_for(lambda: provider.closed, seconds=5, what="the provider connection closed")
    assert closed[0] - left < 1.0


def test_a_client_that_leaves_a_silent_translated_stream_closes_the_provider(gateway, claude):
    url, key = gateway
    claude.closed.clear()
    # message_start, then 10 s of silence before each further event: a model thinking long.
    claude.queue(claude.reply(message(text="x" * 30), stream=True, interval=10.0))
    sock = _open_stream(url, key, virtual_key="claude")
    received = b""
    while b'"role": "assistant"' not in received and b'"role":"assistant"' not in received:
        data = sock.recv(65536)
        assert data, "the stream ended early"
        received += data
    assert received.startswith(b"HTTP/1.1 200")
    time.sleep(0.3)  # inside the silence
    sock.close()
    left = time.monotonic()
    closed = wait_for(lambda: claude.closed, seconds=5, what="the provider connection closed")
    assert closed[0] - left < 1.0
