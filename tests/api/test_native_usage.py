"""Usage of native calls is recorded as for OpenAI-compatible ones: tokens (cached too) and
cost from the catalog's prices, streamed or not, whether or not the client asked for the
stream's usage chunk; and the legacy /v1/completions is a 400 naming /v1/chat/completions."""

from decimal import Decimal

import orjson
import pytest

from keys.models import VirtualKey
from models_api.usage.models import Usage
from tests.api.conftest import post
from tests.factories import CatalogEntryFactory
from tests.fakes import anthropic, bedrock, cohere, google

pytestmark = pytest.mark.django_db
HELLO = {"model": "the-model", "messages": [{"role": "user", "content": "Hi"}]}
PRICED = {"input_price": "0.000003", "output_price": "0.000015"}
# Each fake's answer, with 1,000 prompt tokens (200 of them read from a cache) and 50 out.
ANSWERS = {
    "anthropic": lambda: anthropic.message(usage={"input_tokens": 700, "output_tokens": 50,
        "cache_read_input_tokens": 200, "cache_creation_input_tokens": 100}),
    "google": lambda: google.answer(usage={"promptTokenCount": 1000, "candidatesTokenCount": 50,
        "cachedContentTokenCount": 200, "totalTokenCount": 1050}),
    "bedrock": lambda: bedrock.answer(usage={"inputTokens": 700, "outputTokens": 50,
        "totalTokens": 1050, "cacheReadInputTokens": 200, "cacheWriteInputTokens": 100}),
    "cohere": lambda: cohere.answer(usage={"input_tokens": 1000, "output_tokens": 50}),
}  # fmt: skip
CACHED = {"anthropic": 200, "google": 200, "bedrock": 200, "cohere": None}
COST = Decimal("0.003") + 50 * Decimal("0.000015")


@pytest.fixture
def priced(native):
    provider, fake, client = native
    vk = VirtualKey.objects.get(slug="native")
    CatalogEntryFactory(virtual_key=vk, model_id="the-model", synced=PRICED)
    return provider, fake, client


@pytest.mark.parametrize(
    ("stream", "asked"), [(False, False), (True, True), (True, False)],
    ids=["answer", "stream-with-usage-chunk", "stream-without"],
)  # fmt: skip
def test_each_family_records_tokens_and_cost(priced, stream, asked):
    provider, fake, client = priced
    fake.queue(fake.reply(ANSWERS[provider](), stream=stream))
    body = {**HELLO, "stream": stream}
    if asked:
        body["stream_options"] = {"include_usage": True}
    response = post(client, "chat/completions", body, HTTP_X_PORTKEY_TRACE_ID="t-native")
    assert response.status_code == 200
    if stream:
        events = b"".join(response.streaming_content).split(b"\n\n")
        chunks = [orjson.loads(e.removeprefix(b"data: ")) for e in events[:-2]]
        usage_chunks = [c for c in chunks if not c["choices"]]
        assert len(usage_chunks) == (1 if asked else 0)
        answer_usage = usage_chunks[0]["usage"] if asked else None
    else:
        answer_usage = response.json()["usage"]
    if answer_usage is not None:
        assert (answer_usage["prompt_tokens"], answer_usage["completion_tokens"]) == (1000, 50)
        assert answer_usage["total_tokens"] == 1050
    row = Usage.objects.get()
    assert (row.provider, row.model, row.route, row.status, row.stream) == (
        provider, "the-model", "chat", 200, stream
    )  # fmt: skip
    assert (row.prompt_tokens, row.completion_tokens, row.cached_tokens) == (
        1000, 50, CACHED[provider]
    )  # fmt: skip
    assert row.cost == COST and row.trace_id == "t-native"
    assert row.virtual_key.slug == "native"


def test_legacy_completions_on_a_native_provider_is_a_400_naming_chat_completions(native):
    provider, fake, client = native
    response = post(client, "completions", {"model": "the-model", "prompt": "Once"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_route" and error["provider"] == provider
    assert error["message"].startswith(
        f"{provider} does not offer /v1/completions; it offers: /v1/chat/completions"
    )
    assert fake.requests == []
    assert Usage.objects.get().status == 400
