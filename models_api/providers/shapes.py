"""What provider clients take and give: a Target in; a Model, a ModelList or an Endpoint out."""

from collections.abc import Callable, Mapping
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

    Treat it as immutable. It is not declared frozen: a frozen dataclass is slower to build
    (benchmarks/README.md), and one is built for every model of every uncached list and sync.
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


@dataclass(frozen=True, repr=False)
class Endpoint:
    """Where and how to send one request to a provider; it sends nothing itself.

    `url` is complete but for `params`, the query string. `headers` hold only the provider's
    own credential and required version headers, never a gateway header. `auth`, when set, is
    a requests auth callable (AWS SigV4) that signs the prepared request, body included: apply
    it to every attempt, since a signature covers the time it was made. `translated` is False
    when the body goes in OpenAI's shape (with `model` set to the provider's id) and True when
    it must first be translated to the provider's own API. `secrets` are the values to scrub
    from any message or log line about the request.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    params: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    auth: Callable | None = None
    translated: bool = False
    secrets: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "secrets", tuple(s for s in self.secrets if s))

    def __repr__(self):  # the headers carry the credential
        return f"Endpoint(url={self.url!r}, translated={self.translated})"
