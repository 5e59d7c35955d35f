"""End to end: the OpenAI and Portkey Python SDKs call models through the real gateway
(live_server) and a fake OpenAI-compatible provider on 127.0.0.1."""

import openai
import pytest
from portkey_ai import Portkey

from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes.openai import FakeOpenAI, error_body
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db(transaction=True)
PROVIDER_KEY = "sk-fake-provider-key-5678"
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def provider(settings):
    with FakeOpenAI(api_key=PROVIDER_KEY) as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        yield fake


@pytest.fixture
def catalog(provider):
    vk = VirtualKeyFactory(slug="fake-openai", base_url=provider.url + "/v1",
                           credential=PROVIDER_KEY)  # fmt: skip
    for model in ("gpt-4o", "gpt-3.5-turbo-instruct", "text-embedding-3-small"):
        CatalogEntryFactory(virtual_key=vk, model_id=model)
    return vk


@pytest.fixture
def client(live_server, catalog):
    _, key = make_api_key(virtual_keys=[catalog])
    return openai.OpenAI(base_url=live_server.url + "/v1", api_key=key, max_retries=0)


def test_openai_sdk_chat_with_and_without_stream(client, provider):
    models = [m.id for m in client.models.list().data]
    assert "@fake-openai/gpt-4o" in models
    answer = client.chat.completions.create(model=models[0], messages=MESSAGES)
    assert answer.choices[0].message.content == "Hello from the fake."
    assert answer.usage.prompt_tokens == 11
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(pieces) == "Hello from the fake."
    assert provider.requests[-1].json()["model"] == "gpt-4o"


def test_openai_sdk_stream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 7


def test_openai_sdk_completions_and_embeddings(client, provider):
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once")
    assert completion.choices[0].text == " and so on."
    # No encoding_format: the SDK asks for base64; the provider answers floats, passed on.
    embeddings = client.embeddings.create(model="text-embedding-3-small", input=["ab"])
    assert provider.requests[-1].json()["encoding_format"] == "base64"
    assert embeddings.data[0].embedding == [2.0, 3.0, 4.0, 5.0]


def test_openai_sdk_error_classes(live_server, client, provider, catalog):
    other = VirtualKeyFactory(slug="not-yours", provider="openai")
    CatalogEntryFactory(virtual_key=other, model_id="o3")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=live_server.url + "/v1", api_key="gwk_bad", max_retries=0).chat.\
            completions.create(model="gpt-4o", messages=MESSAGES)  # fmt: skip
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="@not-yours/o3", messages=MESSAGES)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-9", messages=MESSAGES)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="@bad slug", messages=MESSAGES)
    provider.queue(Reply.json(429, error_body("Rate limit reached", type="requests")))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    provider.queue(Reply.json(500, error_body("boom", type="server_error")))
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert failed.value.status_code == 502


def test_openai_sdk_raises_an_error_sent_after_the_first_byte(client, provider):
    first = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",' \
        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'  # fmt: skip
    provider.queue(Reply.streamed([first], "text/event-stream", reset=True))
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            assert chunk.choices[0].delta.content == "Hi"
    assert "broke in the middle of its stream" in str(info.value)


def test_portkey_sdk_with_a_virtual_key(live_server, catalog, provider):
    _, key = make_api_key(virtual_keys=[catalog])
    portkey = Portkey(base_url=live_server.url + "/v1", api_key=key, virtual_key="fake-openai")
    answer = portkey.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert answer.choices[0].message.content == "Hello from the fake."
    sent = provider.requests[-1]
    assert sent.json()["model"] == "gpt-4o-mini"  # the provider's own id, as named
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert not any(name.startswith("x-portkey") for name in sent.headers)
    stream = portkey.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == (
        "Hello from the fake."
    )
    embedded = portkey.embeddings.create(model="text-embedding-3-small", input="abc")
    assert embedded.data[0].embedding == [3.0, 4.0, 5.0, 6.0]
