"""x-portkey-fetch-integrated-models: a named provider or virtual key listed from the catalog."""

import json

import pytest
from rest_framework.test import APIClient

from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(db):
    openai = VirtualKeyFactory(slug="oa", provider="openai")
    anthropic = VirtualKeyFactory(slug="an", provider="anthropic")
    hidden = VirtualKeyFactory(slug="hidden", provider="openai")
    CatalogEntryFactory(virtual_key=openai, model_id="gpt-4o",
                        synced={"context_length": 128000, "max_output_tokens": 16384})  # fmt: skip
    CatalogEntryFactory(virtual_key=anthropic, model_id="claude-sonnet-4")
    CatalogEntryFactory(virtual_key=hidden, model_id="o3")
    _, raw = make_api_key(virtual_keys=[openai, anthropic])
    return APIClient(HTTP_X_PORTKEY_API_KEY=raw)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


def test_a_virtual_key_is_answered_from_the_catalog(client):
    # No provider is contacted: the virtual key has no reachable base URL in this test.
    response = client.get("/v1/models", HTTP_X_PORTKEY_VIRTUAL_KEY="oa",
                          HTTP_X_PORTKEY_FETCH_INTEGRATED_MODELS="true")  # fmt: skip
    assert ids(response) == ["@oa/gpt-4o"]
    item = response.json()["data"][0]
    assert item["context_length"] == 128000
    assert item["top_provider"] == {"context_length": 128000, "max_completion_tokens": 16384}


def test_a_provider_is_answered_from_the_catalog_within_the_keys_scope(client):
    response = client.get("/v1/models", HTTP_X_PORTKEY_PROVIDER="openai",
                          HTTP_X_PORTKEY_FETCH_INTEGRATED_MODELS="true")  # fmt: skip
    assert ids(response) == ["@oa/gpt-4o"]  # not @hidden/o3, outside the key's scope


def test_the_config_field_does_the_same(client):
    config = json.dumps({"virtual_key": "an", "fetch_integrated_models": True})
    assert ids(client.get("/v1/models", HTTP_X_PORTKEY_CONFIG=config)) == ["@an/claude-sonnet-4"]


def test_a_virtual_key_out_of_scope_or_a_bad_flag_is_refused(client):
    response = client.get("/v1/models", HTTP_X_PORTKEY_VIRTUAL_KEY="hidden",
                          HTTP_X_PORTKEY_FETCH_INTEGRATED_MODELS="true")  # fmt: skip
    assert response.status_code == 403
    response = client.get("/v1/models", HTTP_X_PORTKEY_VIRTUAL_KEY="oa",
                          HTTP_X_PORTKEY_FETCH_INTEGRATED_MODELS="yes")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "x-portkey-fetch-integrated-models"
