"""The provider registry: slugs, lookup, option validation."""

from types import MappingProxyType

import pytest

from models_api.errors import InvalidRequest
from models_api.providers import (
    PROVIDERS,
    get_client,
    option_keys,
    provider_names,
    validate_target_options,
)
from models_api.providers.base import ProviderClient, Target

REQUIRED = {
    "openai", "anthropic", "google", "azure-openai", "mistral-ai", "groq", "together-ai",
    "cohere", "deepseek", "x-ai", "fireworks-ai", "openrouter", "perplexity-ai", "ollama",
    "bedrock", "huggingface", "cerebras", "deepinfra",
}  # fmt: skip


def test_every_portkey_slug_is_registered():
    assert set(PROVIDERS) >= REQUIRED
    assert all(isinstance(client, ProviderClient) for client in PROVIDERS.values())
    assert all(slug == client.slug for slug, client in PROVIDERS.items())


def test_provider_names_are_sorted():
    assert provider_names() == sorted(PROVIDERS)


def test_get_client():
    assert get_client("anthropic").slug == "anthropic"


def test_unknown_provider_is_a_400_listing_the_valid_names():
    with pytest.raises(InvalidRequest) as caught:
        get_client("open-ai")
    assert caught.value.status == 400
    assert "Unknown provider 'open-ai'" in caught.value.message
    assert "azure-openai, bedrock, cerebras" in caught.value.message


@pytest.mark.parametrize(
    ("slug", "keys"),
    [
        ("openai", {"openai_organization", "openai_project"}),
        ("anthropic", {"anthropic_version", "anthropic_beta"}),
        ("google", {"api_version"}),
        ("azure-openai", {"azure_resource", "api_version", "azure_auth"}),
        ("bedrock", {"aws_region", "aws_access_key_id", "aws_session_token"}),
        ("groq", set()),
    ],
)
def test_option_keys(slug, keys):
    assert option_keys(slug) == keys


def test_unknown_option_keys_are_reported_and_empty_ones_ignored():
    errors = validate_target_options("groq", {"aws_region": "us-east-1", "api_version": ""})
    assert errors == ["Option 'aws_region' is not used by groq (it accepts: none)."]


def test_header_values_must_be_printable():
    errors = validate_target_options("openai", {"openai_project": "p\r\nX-Evil: 1"})
    assert errors == ["Option 'openai_project' must be printable ASCII."]


def test_an_unprintable_option_is_refused_before_any_call(mocked):
    target = Target("openai", "k", "", MappingProxyType({"openai_organization": "o\nx"}))
    with pytest.raises(InvalidRequest):
        get_client("openai").list_models(target)
    assert len(mocked.calls) == 0
