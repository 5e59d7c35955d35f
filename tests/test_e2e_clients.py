"""End to end: the real gateway (live_server) and a fake provider on 127.0.0.1, driven by the
official openai and portkey-ai Python clients."""

import json

import openai
import pytest
from portkey_ai import Portkey

from tests.factories import VirtualKeyFactory, make_api_key
from tests.fake_provider import FakeProvider, serve

pytestmark = pytest.mark.django_db(transaction=True)
PROVIDER_KEY = "sk-fake-provider-key-1234"


@pytest.fixture
def provider():
    fake = FakeProvider(models=["gpt-4o", "gpt-4o-mini", "o3"], api_key=PROVIDER_KEY)
    with serve(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def trusted(settings, provider):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [provider.url.removeprefix("http://")]


def test_openai_client_with_provider_and_custom_host(live_server, provider, trusted):
    _, key = make_api_key()
    config = {"provider": "openai", "api_key": PROVIDER_KEY, "custom_host": provider.url + "/v1"}
    client = openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=key,
        default_headers={"x-portkey-config": json.dumps(config)},
        max_retries=0,
    )
    models = client.models.list()
    assert [m.id for m in models.data] == ["gpt-4o", "gpt-4o-mini", "o3"]
    assert models.data[0].owned_by == "fake-org"
    assert models.data[0].created == 1715367049
    assert provider.requests[0][1]["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert client.models.retrieve("o3").id == "o3"


def test_openai_client_with_virtual_key(live_server, provider, trusted):
    vk = VirtualKeyFactory(
        slug="fake-openai", base_url=provider.url + "/v1", credential=PROVIDER_KEY
    )
    _, key = make_api_key(virtual_keys=[vk])
    client = openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=key,
        default_headers={"x-portkey-virtual-key": "fake-openai"},
        max_retries=0,
    )
    assert [m.id for m in client.models.list().data] == ["gpt-4o", "gpt-4o-mini", "o3"]
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("missing-model")
    assert "missing-model" in str(info.value)


def test_openai_client_errors_map_to_sdk_exceptions(live_server, provider, trusted):
    _, key = make_api_key()
    bad = openai.OpenAI(base_url=live_server.url + "/v1", api_key="gwk_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    wrong_provider_key = openai.OpenAI(
        base_url=live_server.url + "/v1",
        api_key=key,
        default_headers={
            "x-portkey-config": json.dumps(
                {"provider": "openai", "api_key": "sk-wrong", "custom_host": provider.url + "/v1"}
            )
        },
        max_retries=0,
    )
    with pytest.raises(openai.AuthenticationError) as info:
        wrong_provider_key.models.list()
    assert "Incorrect API key provided" in str(info.value)
    assert "sk-wrong" not in str(info.value)


def test_portkey_client_with_provider(live_server, provider, trusted):
    _, key = make_api_key()
    client = Portkey(
        api_key=key,
        base_url=live_server.url + "/v1",
        provider="anthropic",
        Authorization=f"Bearer {PROVIDER_KEY}",
        custom_host=provider.url + "/anthropic",
    )
    provider.ids = [f"claude-{i}" for i in range(45)]
    models = client.models.list()
    assert len(models.data) == 45
    assert models.data[0].id == "claude-0"
    assert models.data[0].owned_by == "anthropic"
    anthropic_calls = [path for path, _ in provider.requests if path.startswith("/anthropic")]
    assert len(anthropic_calls) >= 1


def test_portkey_client_with_virtual_key_and_config(live_server, provider, trusted):
    vk = VirtualKeyFactory(
        slug="fake-openai", base_url=provider.url + "/v1", credential=PROVIDER_KEY
    )
    _, key = make_api_key(virtual_keys=[vk])
    by_vk = Portkey(api_key=key, base_url=live_server.url + "/v1", virtual_key="fake-openai")
    assert [m.id for m in by_vk.models.list().data] == ["gpt-4o", "gpt-4o-mini", "o3"]
    by_config = Portkey(
        api_key=key, base_url=live_server.url + "/v1", config={"virtual_key": "fake-openai"}
    )
    assert [m.id for m in by_config.models.list().data] == ["gpt-4o", "gpt-4o-mini", "o3"]


def test_openai_client_lists_and_retrieves_from_the_catalog(live_server):
    from tests.factories import CatalogEntryFactory

    vk = VirtualKeyFactory(slug="openai-prod")
    CatalogEntryFactory(virtual_key=vk, model_id="gpt-4o", synced={"context_length": 128000})
    CatalogEntryFactory(virtual_key=VirtualKeyFactory(slug="hidden"), model_id="secret-model")
    _, key = make_api_key(virtual_keys=[vk])
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=key, max_retries=0)
    listed = client.models.list()
    assert [m.id for m in listed.data] == ["@openai-prod/gpt-4o"]
    model = client.models.retrieve("@openai-prod/gpt-4o")
    assert model.id == "@openai-prod/gpt-4o"
    assert model.owned_by == "system"
    assert model.model_extra["context_length"] == 128000
    assert model.model_extra["slug"] == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("@hidden/secret-model")  # exists, but not for this key
