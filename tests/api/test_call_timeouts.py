"""Timeouts and retries of model calls: long answers are not cut, silences and connects are."""

import logging
import socket

import orjson
import pytest

from tests.api.conftest import PROVIDER_KEY, post
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db
HELLO = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def routed(api):
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
                    HTTP_X_PORTKEY_VIRTUAL_KEY="fake-openai")  # fmt: skip
    return api


def test_an_answer_slower_than_the_upstream_timeout_still_arrives(routed, fake_openai, settings):
    # Its first byte comes only once the whole answer is generated: only silence is bounded.
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.3
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 5
    fake_openai.queue(fake_openai.chat(text="slow but fine", delay=1.0))
    response = post(routed, "chat/completions", HELLO)
    assert response.status_code == 200, response.content
    assert response.json()["choices"][0]["message"]["content"] == "slow but fine"


def test_an_answer_silent_past_the_idle_timeout_is_504(routed, fake_openai, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 5
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 0.3
    fake_openai.queue(fake_openai.chat(delay=2.0))
    response = post(routed, "chat/completions", HELLO)
    assert response.status_code == 504
    error = response.json()["error"]
    assert (
        error["code"] == "upstream_idle_timeout"
        and "GATEWAY_STREAM_IDLE_TIMEOUT" in (error["message"])
    )
    assert len(fake_openai.requests) == 1  # not retried: the provider had the POST


def test_a_stream_slower_in_total_than_both_timeouts_is_not_cut(routed, fake_openai, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.5
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 0.5
    fake_openai.queue(fake_openai.chat(text="a" * 12, stream=True, pieces=6, interval=0.2))
    response = post(routed, "chat/completions", {**HELLO, "stream": True})
    body = b"".join(response.streaming_content)
    assert body.endswith(b"data: [DONE]\n\n") and b'"error"' not in body
    assert body.count(b'"content": "aa"') == 6


def test_a_stream_silent_past_the_idle_timeout_ends_with_an_error_event(
    routed, fake_openai, settings
):
    settings.GATEWAY_STREAM_IDLE_TIMEOUT = 0.4
    fake_openai.queue(fake_openai.chat(stream=True, interval=1.5))
    response = post(routed, "chat/completions", {**HELLO, "stream": True})
    events = b"".join(response.streaming_content).split(b"\n\n")
    error = orjson.loads(events[-2].removeprefix(b"data: "))["error"]
    assert error["code"] == "stream_idle_timeout"


def test_a_stream_whose_head_is_late_is_504(routed, fake_openai, settings):
    settings.GATEWAY_UPSTREAM_TIMEOUT = 0.3
    fake_openai.queue(fake_openai.chat(stream=True, delay=1.5))
    response = post(routed, "chat/completions", {**HELLO, "stream": True})
    assert response.status_code == 504
    assert response["Content-Type"] == "application/json"


def test_connect_refused_is_retried_then_502(db, settings, caplog):
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [f"127.0.0.1:{port}"]
    VirtualKeyFactory(slug="down", base_url=f"http://127.0.0.1:{port}/v1", credential=PROVIDER_KEY)
    from rest_framework.test import APIClient

    _, raw = make_api_key()
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY="down")
    with caplog.at_level(logging.INFO, logger="models_api.outbound.http"):
        response = post(client, "chat/completions", HELLO)
    assert response.status_code == 502
    assert "Could not connect" in response.json()["error"]["message"]
    retries = [r for r in caplog.records if "not connected" in r.getMessage()]
    assert len(retries) == 2  # MAX_RETRIES: a refused connect cannot have delivered the POST
