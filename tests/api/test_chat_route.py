"""POST /v1/chat/completions on an OpenAI-compatible provider: forwarding, streams, usage."""

import orjson
import pytest
from rest_framework.test import APIClient

from models_api.usage.models import Usage
from tests.api.conftest import PROVIDER_KEY, post
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes.openai import USAGE
from tests.fakes.server import FakeServer, Reply, sse

pytestmark = pytest.mark.django_db
HELLO = {"model": "@fake-openai/gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def listed(openai_key):
    return CatalogEntryFactory(
        virtual_key=openai_key, model_id="gpt-4o", synced={"input_price": "0.000002",
                                                          "output_price": "0.00001"},
    )  # fmt: skip


def test_catalog_id_is_forwarded_with_the_provider_model_and_credential(api, fake_openai, listed):
    body = {**HELLO, "x_unknown": {"kept": [1, 2]}, "temperature": 0.5}
    response = post(
        api, "chat/completions", body, HTTP_X_PORTKEY_TRACE_ID="trace-1", HTTP_COOKIE="a=b"
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == "Hello from the fake."
    assert response["x-portkey-provider"] == "openai"
    assert response["x-portkey-trace-id"] == "trace-1"
    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/chat/completions"
    # The body as the client sent it, key order and unknown fields kept, model replaced.
    assert list(sent.json()) == ["model", "messages", "x_unknown", "temperature"]
    assert sent.json() == {**body, "model": "gpt-4o"}
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    for header in ("cookie", "x-portkey-trace-id", "x-portkey-api-key"):
        assert header not in sent.headers
    assert "gwk_" not in str(sent.headers)


def test_usage_is_recorded_with_tokens_and_cost(api, gateway_key, fake_openai, listed):
    response = post(api, "chat/completions", HELLO, HTTP_X_PORTKEY_TRACE_ID="trace-2")
    assert response.status_code == 200
    usage = Usage.objects.get()
    assert (usage.route, usage.provider, usage.model, usage.status) == (
        "chat", "openai", "gpt-4o", 200,
    )  # fmt: skip
    assert usage.api_key_id == gateway_key[0].pk
    assert usage.virtual_key_id == listed.virtual_key_id
    assert (usage.prompt_tokens, usage.completion_tokens) == (11, 7)
    assert usage.cost == 11 * listed.input_price + 7 * listed.output_price
    assert usage.trace_id == "trace-2" and usage.stream is False


def test_header_route_sends_the_model_as_given(api, fake_openai, openai_key):
    body = {"model": "my-finetune:v2", "messages": []}
    response = post(api, "chat/completions", body, HTTP_X_PORTKEY_VIRTUAL_KEY="fake-openai")
    assert response.status_code == 200, response.content
    assert fake_openai.requests[-1].json()["model"] == "my-finetune:v2"


def test_stream_is_relayed_and_the_usage_chunk_dropped_unless_asked(api, fake_openai, listed):
    response = post(api, "chat/completions", {**HELLO, "stream": True})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert events[-2:] == [b"data: [DONE]", b""]
    chunks = [orjson.loads(e.removeprefix(b"data: ")) for e in events[:-2]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == (
        "Hello from the fake."
    )
    assert all(c["choices"] for c in chunks)  # the gateway asked for usage; the client did not
    assert fake_openai.requests[-1].json()["stream_options"] == {"include_usage": True}
    usage = Usage.objects.get()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.stream) == (11, 7, True)


def test_stream_usage_chunk_passes_when_the_client_asked(api, fake_openai, listed):
    body = {**HELLO, "stream": True, "stream_options": {"include_usage": True}}
    response = post(api, "chat/completions", body)
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert orjson.loads(events[-3].removeprefix(b"data: "))["usage"] == USAGE


def test_an_azure_stream_opening_with_its_prompt_filter_chunk_is_relayed_whole(db, settings):
    """Azure's first chunk may have no choices, an empty id and prompt_filter_results
    (reference/inference.md section 2): passed on as sent, the rest relayed, usage read."""
    filters = {"choices": [], "created": 0, "id": "", "model": "", "object": "",
               "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {
                   "hate": {"filtered": False, "severity": "safe"}}}]}  # fmt: skip
    head = {"id": "chatcmpl-az", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    delta = {"index": 0, "delta": {"content": "Hi"}, "finish_reason": None,
             "content_filter_results": {}}  # fmt: skip
    chunks = [filters, {**head, "choices": [delta]},
              {**head, "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1,
                                                "total_tokens": 5}}]  # fmt: skip
    with FakeServer() as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        fake.queue(Reply.streamed(sse([("", c) for c in chunks] + [("", "[DONE]")], named=False),
                                  "text/event-stream"))  # fmt: skip
        options = {"azure_resource": "contoso"}
        VirtualKeyFactory(slug="azure", provider="azure-openai", base_url=fake.url,
                          credential="az-key-0123", options=options)  # fmt: skip
        _, raw = make_api_key()
        client = APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY="azure")
        body = {"model": "gpt-4o", "messages": [], "stream": True}
        response = post(client, "chat/completions", body)
        events = b"".join(response.streaming_content).split(b"\n\n")
        sent = fake.requests[-1]
    assert sent.path == "/openai/deployments/gpt-4o/chat/completions"
    assert sent.json()["stream_options"] == {"include_usage": True}
    found = [orjson.loads(e.removeprefix(b"data: ")) for e in events[:-2]]
    assert found == chunks[:2]  # the filter chunk as sent; the usage chunk dropped (not asked)
    assert events[-2:] == [b"data: [DONE]", b""]
    usage = Usage.objects.get()
    assert (usage.provider, usage.prompt_tokens, usage.completion_tokens, usage.status) == (
        "azure-openai", 4, 1, 200
    )  # fmt: skip
