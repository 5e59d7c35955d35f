"""Native providers through the adapter seam: Anthropic, Gemini, Cohere and Bedrock chat
(streamed too) and Gemini, Cohere and Bedrock embeddings, each against its fake, translated
both ways."""

import orjson
import pytest

from models_api.usage.models import Usage
from tests.api.conftest import FAMILIES, native_client, post
from tests.fakes.server import Reply

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


@pytest.fixture
def bedrock(db, settings):
    """(fake Bedrock, client) with a SigV4-signing virtual key on it."""
    with FAMILIES["bedrock"][0]() as fake:
        client = native_client("bedrock", fake, settings)
        yield fake, client


def test_bedrock_titan_embeddings_take_one_signed_invoke_per_input_in_order(bedrock):
    fake, client = bedrock
    model = "amazon.titan-embed-text-v2:0"
    body = {"model": model, "input": ["a", "abc", "ab"], "dimensions": 256}
    response = post(client, "embeddings", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [d["index"] for d in answer["data"]] == [0, 1, 2]
    assert [d["embedding"][0] for d in answer["data"]] == [1.0, 3.0, 2.0]  # in input order
    assert len(answer["data"][0]["embedding"]) == 256
    assert answer["usage"] == {"prompt_tokens": 9, "total_tokens": 9}  # 3 calls of 3 tokens
    sent = fake.requests
    assert [r.path for r in sent] == [f"/model/{model}/invoke"] * 3
    assert [r.json() for r in sent] == [{"inputText": t, "dimensions": 256} for t in body["input"]]
    assert len({r.headers["authorization"] for r in sent}) == 3  # each body signed on its own
    usage = Usage.objects.get()
    assert (usage.route, usage.provider, usage.prompt_tokens, usage.status) == (
        "embeddings", "bedrock", 9, 200
    )  # fmt: skip


def test_bedrock_cohere_embeddings_batch_96_and_count_tokens_from_the_header(bedrock):
    fake, client = bedrock
    texts = [f"text {i}" for i in range(100)]
    body = {"model": "cohere.embed-english-v3", "input": texts}
    response = post(client, "embeddings", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert len(answer["data"]) == 100 and answer["data"][99]["index"] == 99
    assert [len(r.json()["texts"]) for r in fake.requests] == [96, 4]
    assert fake.requests[0].json()["input_type"] == "search_document"
    # X-Amzn-Bedrock-Input-Token-Count: 2 a text in the fake
    assert answer["usage"]["prompt_tokens"] == 200
    assert Usage.objects.get().prompt_tokens == 200


def test_bedrock_embeddings_stop_at_the_first_failed_call(bedrock):
    fake, client = bedrock
    fake.queue(
        Reply.json(200, {"embedding": [1.0], "inputTextTokenCount": 1}),
        Reply.json(429, {"message": "Too many tokens"},
                   {"x-amzn-ErrorType": "ThrottlingException:http://internal/"}),
    )  # fmt: skip
    body = {"model": "amazon.titan-embed-text-v2:0", "input": ["a", "b", "c"]}
    response = post(client, "embeddings", body)
    assert response.status_code == 429
    assert "ThrottlingException: Too many tokens" in response.json()["error"]["message"]
    assert len(fake.requests) == 2  # the third input was never sent
    assert Usage.objects.get().status == 429


def test_bedrock_embeddings_refuse_other_models_before_any_call(bedrock):
    fake, client = bedrock
    response = post(client, "embeddings", {"model": "anthropic.claude-3", "input": "x"})
    assert response.status_code == 400
    assert "Titan Text Embeddings or Cohere Embed" in response.json()["error"]["message"]
    assert fake.requests == []


@pytest.mark.parametrize("provider", ["google", "cohere", "bedrock"])
def test_embeddings_asked_to_stream_answer_json(db, settings, provider):
    with FAMILIES[provider][0]() as fake:
        client = native_client(provider, fake, settings)
        model = "amazon.titan-embed-text-v2:0" if provider == "bedrock" else "embed-model"
        response = post(client, "embeddings", {"model": model, "input": "ab", "stream": True})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["data"][0]["embedding"] == [2.0, 3.0, 4.0, 5.0]
    assert Usage.objects.get().stream is False
