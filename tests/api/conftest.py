"""Fixtures for the call routes: a fake OpenAI-compatible provider behind a virtual key."""

import pytest
from rest_framework.test import APIClient

from tests.factories import VirtualKeyFactory, make_api_key
from tests.fakes.openai import FakeOpenAI

PROVIDER_KEY = "sk-fake-provider-0123456789"


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
