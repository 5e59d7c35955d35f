"""Native providers through the adapter seam: Anthropic, Gemini, Cohere and Bedrock chat
(streamed too) and Gemini, Cohere and Bedrock embeddings, each against its fake, translated
both ways."""

import orjson
import pytest
from rest_framework.test import APIClient

from models_api.usage.models import Usage
from tests.api.conftest import FAMILIES, native_client, post
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db
MESSAGES = [{"role": "user", "content": "Hi"}]
CHAT_PATHS = {
    "anthropic": "/v1/messages",
    "google": ":generateContent",
    "cohere": "/v2/chat",
    "bedrock": "/converse",
}


def test_chat_is_translated_both_ways(native):
    provider, fake, client = native
    response = post(client, "chat/completions", {"model": "the-model", "messages": MESSAGES})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["object"] == "chat.completion" and answer["model"] == "the-model"
    assert answer["choices"][0]["message"]["content"] == "Hello from the fake."
    assert answer["usage"]["prompt_tokens"] > 0
    # The provider's own API, which each fake checks the body against.
    assert fake.requests[-1].path.endswith(CHAT_PATHS[provider])
    assert Usage.objects.get().provider == provider


def test_chat_streams_are_translated_into_chunks(native):
    _, fake, client = native
    body = {"model": "the-model", "messages": MESSAGES, "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    response = post(client, "chat/completions", body)
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = b"".join(response.streaming_content).split(b"\n\n")
    assert events[-2:] == [b"data: [DONE]", b""]
    chunks = [orjson.loads(e.removeprefix(b"data: ")) for e in events[:-2]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello from the fake."
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] > 0
    assert Usage.objects.get().prompt_tokens == chunks[-1]["usage"]["prompt_tokens"]


@pytest.mark.parametrize("provider", ["google", "cohere"])
def test_embeddings_are_translated(db, settings, provider):
    with FAMILIES[provider][0]() as fake:
        client = native_client(provider, fake, settings)
        body = {"model": "embed-model", "input": ["ab", "abc"]}
        response = post(client, "embeddings", body)
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        assert [d["index"] for d in data] == [0, 1]
        assert data[0]["embedding"] == [2.0, 3.0, 4.0, 5.0]


def test_bedrock_embeddings_are_not_yet_callable(db):
    VirtualKeyFactory(slug="titan", provider="bedrock", credential="s",
                      options={"aws_access_key_id": "AKID", "aws_region": "us-east-1"})  # fmt: skip
    _, raw = make_api_key()
    client = APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY="titan")
    response = post(client, "embeddings", {"model": "amazon.titan-embed-text-v2:0", "input": "x"})
    assert response.status_code == 400
    assert "not yet callable" in response.json()["error"]["message"]
