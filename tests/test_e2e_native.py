"""End to end: the OpenAI Python SDK calls each native family (Anthropic, Gemini, Bedrock,
Cohere) through the real gateway (live_server) and that family's fake on 127.0.0.1, exactly
as it calls an OpenAI model: answers, streams whose tool calls assemble, embeddings, and its
own error classes for the families' mapped errors."""

import json

import openai
import pytest

from models_api.usage.models import Usage
from tests.api.conftest import FAMILIES
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes import anthropic, bedrock, cohere, google
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db(transaction=True)
MESSAGES = [{"role": "user", "content": "Weather and time in Oslo?"}]
TOOLS = [
    {"type": "function", "function": {"name": name, "description": f"The {name[4:]}",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
    for name in ("get_weather", "get_time")
]  # fmt: skip
CALLS = [("call_1", "get_weather", {"city": "Oslo"}), ("call_2", "get_time", {"city": "Oslo"})]
# Each family's answer with the two tool calls (Gemini's calls carry no id of their own).
WITH_TOOLS = {
    "anthropic": lambda: anthropic.message(text="Let me look.", tools=CALLS),
    "google": lambda: google.answer(text="Let me look.", calls=[(n, a) for _, n, a in CALLS]),
    "bedrock": lambda: bedrock.answer(text="Let me look.", tools=CALLS),
    "cohere": lambda: cohere.answer(text="Let me look.", calls=CALLS),
}
EMBEDDING_MODELS = {"google": "text-embedding-004", "cohere": "embed-v4.0",
                    "bedrock": "amazon.titan-embed-text-v2:0"}  # fmt: skip
# A mapped error of each family: (the fake's reply, the SDK's exception, the status it sees)
ERRORS = {
    "anthropic": (Reply.json(529, {"type": "error", "error": {"type": "overloaded_error",
                  "message": "Overloaded"}}), openai.InternalServerError, 503),
    "google": (Reply.json(400, {"error": {"code": 400, "message": "API key not valid.",
               "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}}),
               openai.AuthenticationError, 401),
    "bedrock": (Reply.json(429, {"message": "Too many requests"},
                {"x-amzn-ErrorType": "ThrottlingException:http://internal/"}),
                openai.RateLimitError, 429),
    "cohere": (Reply.json(498, {"message": "invalid api token"}), openai.AuthenticationError,
               401),
}  # fmt: skip


@pytest.fixture(params=sorted(FAMILIES))
def family(request, settings, live_server):
    """(provider, fake, OpenAI SDK client) with a virtual key on the fake, in the catalog."""
    start, credential, options = FAMILIES[request.param]
    with start() as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        vk = VirtualKeyFactory(slug=f"{request.param}-prod", provider=request.param,
                               base_url=fake.url, credential=credential,
                               options=options)  # fmt: skip
        CatalogEntryFactory(virtual_key=vk, model_id="the-model")
        if request.param in EMBEDDING_MODELS:
            CatalogEntryFactory(virtual_key=vk, model_id=EMBEDDING_MODELS[request.param])
        _, key = make_api_key(virtual_keys=[vk])
        client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=key, max_retries=0)
        yield request.param, fake, client


def test_chat_without_and_with_stream(family):
    provider, fake, client = family
    model = f"@{provider}-prod/the-model"
    assert model in [m.id for m in client.models.list().data]
    answer = client.chat.completions.create(model=model, messages=MESSAGES)
    assert answer.choices[0].message.content == "Hello from the fake."
    assert answer.choices[0].finish_reason == "stop" and answer.model == "the-model"
    assert answer.usage.prompt_tokens == 10 and answer.usage.completion_tokens == 5
    stream = client.chat.completions.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake."
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 15
    assert len({c.id for c in chunks}) == 1  # one id for the whole stream
    assert [u.stream for u in Usage.objects.order_by("id")] == [False, True]


def test_tool_calls_assemble_from_a_stream_as_in_the_answer(family):
    provider, fake, client = family
    fake.queue(fake.reply(WITH_TOOLS[provider]()), fake.reply(WITH_TOOLS[provider](), stream=True))
    model = f"@{provider}-prod/the-model"
    whole = client.chat.completions.create(model=model, messages=MESSAGES, tools=TOOLS)
    expected = [(c.function.name, json.loads(c.function.arguments))
                for c in whole.choices[0].message.tool_calls]  # fmt: skip
    assert expected == [(name, args) for _, name, args in CALLS]
    assert whole.choices[0].finish_reason == "tool_calls"
    stream = client.chat.completions.create(
        model=model, messages=MESSAGES, tools=TOOLS, stream=True
    )
    calls: dict[int, dict] = {}
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for piece in choice.delta.tool_calls or ():
                call = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
                call["id"] = piece.id or call["id"]
                call["name"] += piece.function.name or ""
                call["arguments"] += piece.function.arguments or ""
    assembled = [(c["name"], json.loads(c["arguments"])) for _, c in sorted(calls.items())]
    assert assembled == expected and finish == "tool_calls"
    assert all(c["id"] for c in calls.values())
    if provider != "google":  # the provider's own ids, kept
        assert [c["id"] for _, c in sorted(calls.items())] == ["call_1", "call_2"]


def test_embeddings(family):
    provider, fake, client = family
    if provider not in EMBEDDING_MODELS:
        with pytest.raises(openai.BadRequestError) as refused:
            client.embeddings.create(model=f"@{provider}-prod/the-model", input=["ab"])
        assert "does not offer /v1/embeddings" in refused.value.message
        return
    model = f"@{provider}-prod/{EMBEDDING_MODELS[provider]}"
    # No encoding_format: the SDK asks for base64 and decodes it; floats come back.
    found = client.embeddings.create(model=model, input=["ab", "abc"])
    assert [d.embedding for d in found.data] == [[2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0]]
    # batchEmbedContents reports no tokens; Cohere bills 2 a text in its fake, Titan counts 3.
    assert found.usage.prompt_tokens == {"google": 0, "cohere": 4, "bedrock": 6}[provider]
    assert Usage.objects.get().route == "embeddings"


def test_a_mapped_error_is_the_sdks_own_class(family):
    provider, fake, client = family
    reply, error_class, status = ERRORS[provider]
    fake.queue(reply, reply)
    model = f"@{provider}-prod/the-model"
    with pytest.raises(error_class) as raised:
        client.chat.completions.create(model=model, messages=MESSAGES)
    assert raised.value.status_code == status
    assert raised.value.body["provider"] == provider
    with pytest.raises(error_class):
        list(client.chat.completions.create(model=model, messages=MESSAGES, stream=True))
    if status == 503:
        assert raised.value.response.headers["Retry-After"] == "10"


def test_a_stream_that_breaks_mid_way_is_raised_by_the_sdk(family):
    provider, fake, client = family
    reply = fake.reply(WITH_TOOLS[provider](), stream=True)
    fake.queue(Reply.streamed(reply.parts[:2], reply.headers["Content-Type"], reset=True))
    stream = client.chat.completions.create(
        model=f"@{provider}-prod/the-model", messages=MESSAGES, stream=True
    )
    with pytest.raises(openai.APIError) as raised:
        list(stream)
    assert "broke in the middle of its stream" in str(raised.value)
