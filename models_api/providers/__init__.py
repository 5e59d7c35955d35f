"""The provider registry: Portkey's provider slugs, each mapped to the client that serves it."""

from collections.abc import Mapping

from models_api.errors import InvalidRequest, unknown_provider_message
from models_api.providers.anthropic import AnthropicClient
from models_api.providers.azure import AzureOpenAIClient
from models_api.providers.base import ProviderClient
from models_api.providers.bedrock import BedrockClient
from models_api.providers.cohere import CohereClient
from models_api.providers.google import GoogleClient
from models_api.providers.openai_compatible import OpenAICompatibleClient
from models_api.providers.openai_specs import SPECS

_CLIENTS: tuple[ProviderClient, ...] = (
    *(OpenAICompatibleClient(spec) for spec in SPECS),
    AnthropicClient(),
    GoogleClient(),
    AzureOpenAIClient(),
    CohereClient(),
    BedrockClient(),
)
PROVIDERS: dict[str, ProviderClient] = {client.slug: client for client in _CLIENTS}


def provider_names() -> list[str]:
    return sorted(PROVIDERS)


def get_client(slug: str) -> ProviderClient:
    """The client for a provider slug; InvalidRequest naming the valid slugs otherwise."""
    try:
        return PROVIDERS[slug]
    except KeyError:
        raise InvalidRequest(
            unknown_provider_message(slug, provider_names()), code="invalid_provider"
        ) from None


def option_keys(slug: str) -> frozenset[str]:
    """The Target.options keys a provider reads."""
    return get_client(slug).option_keys


def validate_target_options(
    slug: str, options: Mapping[str, str], *, base_url: str = ""
) -> list[str]:
    """Problems with a provider's options (and base URL), as messages; empty when usable.

    Keys with empty values are ignored, so a form may submit every field.
    """
    client = get_client(slug)
    accepted = ", ".join(sorted(client.option_keys)) or "none"
    errors = [
        f"Option {key!r} is not used by {slug} (it accepts: {accepted})."
        for key in sorted(options)
        if options[key] and key not in client.option_keys
    ]
    return errors + client.check_options(options, base_url)
