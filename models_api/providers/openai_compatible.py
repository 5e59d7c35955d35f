"""One client for every OpenAI-compatible provider; each differs only in its declarative Spec."""

from types import MappingProxyType

from models_api.providers import fields
from models_api.providers.base import Call, Endpoint, Model, ProviderClient, Target
from models_api.providers.openai_specs import Spec

# The fields of an item in OpenAI's own list. An item with nothing else (OpenAI's answer, and
# servers that copy it exactly) skips the search for metadata fields, the costly part of a list.
PLAIN_KEYS = frozenset({"id", "object", "created", "owned_by"})
CONTEXT_KEYS = ("context_length", "max_context_length", "context_window", "max_model_len")


class OpenAICompatibleClient(ProviderClient):
    """Lists `GET {base}/models` (OpenAI's shape, or the spec's variation of it); calls are
    forwarded in OpenAI's shape to the spec's paths."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.slug = spec.slug
        self.base_url = spec.base_url  # see spec.docs
        self.list_path = spec.list_path
        self.list_field = spec.page
        self.retrieve_path = "/models/{id}" if spec.retrieve else ""
        self.calls = MappingProxyType({name: Call(path) for name, path in spec.offers.items()})
        self.option_keys = frozenset(option for option, _ in spec.option_headers)
        self.stream_usage = spec.stream_usage

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        headers = {}
        if target.credential:  # local servers and public lists (Ollama, OpenRouter) need none
            headers["Authorization"] = f"Bearer {target.credential}"
        for option, header in self.spec.option_headers:
            if target.options.get(option):
                headers[header] = target.options[option]
        return Endpoint(self._root(target, call=call) + path, headers, secrets=(target.credential,))

    def _model(self, item: dict) -> Model:
        model_id = fields.text(item, "id", self.slug)
        if item.keys() <= PLAIN_KEYS:  # OpenAI's own item: there is no metadata to look for
            return Model(model_id, fields.unix(item.get("created")), self._owner(item, model_id))
        architecture = fields.mapping(item.get("architecture"))
        input_price, output_price = self._prices(fields.mapping(item.get("pricing")))
        return Model(
            id=model_id,
            created=fields.unix(item.get("created")),
            owned_by=self._owner(item, model_id),
            name=fields.opt_str(item.get("display_name") or item.get("name")),
            context_length=_context_length(item),
            max_output_tokens=fields.opt_int(
                item.get("max_completion_tokens")
                or fields.mapping(item.get("top_provider")).get("max_completion_tokens")
            ),
            input_modalities=fields.strs(architecture.get("input_modalities")),
            output_modalities=fields.strs(architecture.get("output_modalities")),
            capabilities=_capabilities(item),
            input_price=input_price,
            output_price=output_price,
        )

    def _owner(self, item: dict, model_id: str) -> str:
        owner = item.get(self.spec.owner_field)
        # TGI reports the model id itself as its owner: the namespace says more.
        if isinstance(owner, str) and owner and owner != model_id:
            return owner
        return model_id.split("/", 1)[0] if "/" in model_id else self.slug

    def _prices(self, pricing: dict) -> tuple[float | None, float | None]:
        """USD per token: OpenRouter quotes per token, Together per million tokens."""
        if self.spec.pricing == "per_token":
            return fields.opt_float(pricing.get("prompt")), fields.opt_float(
                pricing.get("completion")
            )
        if self.spec.pricing == "per_million":
            prices = fields.opt_float(pricing.get("input")), fields.opt_float(pricing.get("output"))
            return tuple(p / 1_000_000 if p is not None else None for p in prices)
        return None, None


def _capabilities(item: dict) -> tuple[str, ...]:
    """Mistral's capability flags, or the supports_* flags of Fireworks and the HF router."""
    flags = fields.flags(item["capabilities"]) if "capabilities" in item else ()
    supports = tuple(k[9:] for k, v in item.items() if v is True and k.startswith("supports_"))
    return flags + supports if supports else flags


def _context_length(item: dict) -> int | None:
    for key in CONTEXT_KEYS:
        value = item.get(key)
        if value is not None and (number := fields.opt_int(value)) is not None:
            return number
    # The Hugging Face router lists each serving provider's window; the largest is reachable.
    providers = item.get("providers")
    if not isinstance(providers, list):
        return None
    windows = [fields.opt_int(p.get("context_length")) for p in providers if isinstance(p, dict)]
    return max((w for w in windows if w is not None), default=None)
