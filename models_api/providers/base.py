"""The provider client contract: what a client is given, what it returns, what it raises."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Target:
    """Where and how to call one provider.

    `credential` is the provider secret (API key, bearer token, AWS secret access key);
    `base_url` overrides the provider's default when set (virtual key or trusted custom host);
    `options` holds provider settings: api_version, azure_resource, azure_auth ("api-key" or
    "bearer"), aws_region, aws_access_key_id, aws_session_token, openai_organization,
    openai_project, anthropic_version, anthropic_beta.
    """

    provider: str
    credential: str = ""
    base_url: str = ""
    options: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    def __repr__(self):  # never show the credential in tracebacks or logs
        return f"Target(provider={self.provider!r}, base_url={self.base_url!r})"


@dataclass(slots=True)
class Model:
    """One model, normalised to OpenAI's shape plus the metadata the provider gave.

    Treat it as immutable. It is not declared frozen because a frozen dataclass sets each
    field through object.__setattr__: 1.4 instead of 0.4 us a model, on every model of every
    uncached list and sync.
    """

    id: str
    created: int = 0
    owned_by: str = ""
    name: str | None = None
    context_length: int | None = None
    max_output_tokens: int | None = None
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    input_price: float | None = None  # USD per token
    output_price: float | None = None  # USD per token

    def as_dict(self) -> dict:
        data = {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }
        # Attribute by attribute rather than a loop over getattr: this runs for every model
        # of every uncached list, and most models have none of these fields.
        if self.name is not None:
            data["name"] = self.name
        if self.context_length is not None:
            data["context_length"] = self.context_length
        if self.max_output_tokens is not None:
            data["max_output_tokens"] = self.max_output_tokens
        if self.input_price is not None:
            data["input_price"] = self.input_price
        if self.output_price is not None:
            data["output_price"] = self.output_price
        if self.input_modalities:
            data["input_modalities"] = list(self.input_modalities)
        if self.output_modalities:
            data["output_modalities"] = list(self.output_modalities)
        if self.capabilities:
            data["capabilities"] = list(self.capabilities)
        return data


@dataclass(frozen=True)
class ModelList:
    """A provider's list: every page walked, or one page with the provider's paging fields."""

    models: tuple[Model, ...]
    paging: Mapping[str, object] = field(default_factory=lambda: EMPTY)


class ProviderClient:
    """Lists one provider family's models.

    `list_models(target, query)` returns a ModelList. With no paging parameters of the
    provider's own in `query`, every page is walked (up to GATEWAY_MAX_PAGES); with them,
    exactly that page is fetched and its paging fields are returned in `ModelList.paging`.
    Other query parameters are passed through, except any that would override auth.
    `retrieve_model(target, model_id)` returns one Model, through the provider's retrieve
    endpoint where it has one, else by searching the list.

    Both raise only models_api.errors.GatewayError subclasses: UpstreamError with the
    provider's status and message for a provider 4xx, BadGateway for a 5xx, an unreachable
    host or a body that is not the provider's shape, GatewayTimeout past
    GATEWAY_UPSTREAM_TIMEOUT, NotFound when a retrieved model does not exist.
    """

    slug: str = ""
    paging_params: frozenset[str] = frozenset()

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        raise NotImplementedError

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        raise NotImplementedError
