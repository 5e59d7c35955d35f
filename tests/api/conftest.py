"""Fixtures for the call routes: a fake OpenAI-compatible provider behind a virtual key."""

import pytest
from rest_framework.test import APIClient

from tests.factories import VirtualKeyFactory, make_api_key
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.bedrock import FakeBedrock
from tests.fakes.cohere import FakeCohere
from tests.fakes.google import FakeGemini
from tests.fakes.openai import FakeOpenAI

PROVIDER_KEY = "sk-fake-provider-0123456789"
# The native families: (start its fake, the credential it takes, the virtual key's options).
FAMILIES = {
    "anthropic": (lambda: FakeAnthropic(api_key="a-key-0123"), "a-key-0123", {}),
    "google": (lambda: FakeGemini(api_key="g-key-0123"), "g-key-0123", {}),
    "cohere": (lambda: FakeCohere(api_key="c-key-0123"), "c-key-0123", {}),
    "bedrock": (
        lambda: FakeBedrock(access_key="AKIDFAKE", secret_key="b-secret-0123", region="us-east-1"),
        "b-secret-0123",
        {"aws_access_key_id": "AKIDFAKE", "aws_region": "us-east-1"},
    ),
}


@pytest.fixture
def fake_openai(settings):
    with FakeOpenAI(api_key=PROVIDER_KEY) as fake:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
        yield fake


@pytest.fixture
def openai_key(db, fake_openai):
    """A virtual key "fake-openai" whose base URL is the fake."""
    return VirtualKeyFactory(
        slug="fake-openai", provider="openai", base_url=fake_openai.url + "/v1",
        credential=PROVIDER_KEY,
    )  # fmt: skip


@pytest.fixture
def gateway_key(openai_key):
    """(ApiKey, raw key) scoped to the fake's virtual key."""
    return make_api_key(virtual_keys=[openai_key])


@pytest.fixture
def api(gateway_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {gateway_key[1]}")
    return client


def post(client, path: str, body, **headers):
    """POST raw JSON (dict or bytes) to /v1/<path>."""
    import orjson

    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.generic("POST", f"/v1/{path}", data, content_type="application/json", **headers)


def native_client(provider: str, fake, settings, slug: str = "native") -> APIClient:
    """A client whose calls go to `fake` through a virtual key `slug` of `provider`."""
    _, credential, options = FAMILIES[provider]
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [fake.url.removeprefix("http://")]
    VirtualKeyFactory(slug=slug, provider=provider, base_url=fake.url, credential=credential,
                      options=options)  # fmt: skip
    _, raw = make_api_key()
    return APIClient(HTTP_X_PORTKEY_API_KEY=raw, HTTP_X_PORTKEY_VIRTUAL_KEY=slug)


@pytest.fixture(params=sorted(FAMILIES))
def native(request, db, settings):
    """(provider, fake, client) for each native family, with a virtual key on its fake."""
    with FAMILIES[request.param][0]() as fake:
        yield request.param, fake, native_client(request.param, fake, settings)
