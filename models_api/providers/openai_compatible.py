"""One client for every OpenAI-compatible provider; each differs only in its declarative Spec."""

from collections.abc import Mapping
from dataclasses import dataclass

from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target


@dataclass(frozen=True)
class Spec:
    """How one OpenAI-compatible provider lists its models at `GET {base_url}/models`."""

    slug: str
    base_url: str
    docs: str  # the provider's API reference for its models list
    retrieve: bool = False  # has `GET {base_url}/models/{id}`; otherwise the list is searched
    page: str = "data"  # key of the model list in the body; "" for a bare JSON array
    owner_field: str = "owned_by"
    pricing: str = ""  # "per_token": pricing.prompt/completion; "per_million": pricing.input/output
    option_headers: tuple[tuple[str, str], ...] = ()  # (Target.options key, header) pairs


SPECS = (
    Spec(
        "openai",
        "https://api.openai.com/v1",
        "https://platform.openai.com/docs/api-reference/models/list",
        retrieve=True,
        option_headers=(
            ("openai_organization", "OpenAI-Organization"),
            ("openai_project", "OpenAI-Project"),
        ),
    ),
    Spec(
        "groq",
        "https://api.groq.com/openai/v1",
        "https://console.groq.com/docs/api-reference#models-list",
        retrieve=True,
    ),
    Spec(
        "together-ai",
        "https://api.together.xyz/v1",
        "https://docs.together.ai/reference/models",
        page="",
        owner_field="organization",
        pricing="per_million",
    ),
    Spec(
        "mistral-ai",
        "https://api.mistral.ai/v1",
        "https://docs.mistral.ai/api/#tag/models",
        retrieve=True,
    ),
    Spec("deepseek", "https://api.deepseek.com", "https://api-docs.deepseek.com/api/list-models"),
    Spec(
        "x-ai",
        "https://api.x.ai/v1",
        "https://docs.x.ai/docs/api-reference#list-models",
        retrieve=True,
    ),
    Spec(
        "fireworks-ai",
        "https://api.fireworks.ai/inference/v1",
        "https://docs.fireworks.ai/tools-sdks/openai-compatibility",
    ),
    Spec(
        "openrouter",
        "https://openrouter.ai/api/v1",
        "https://openrouter.ai/docs/api-reference/list-available-models",
        pricing="per_token",
    ),
    Spec(
        "perplexity-ai",
        "https://api.perplexity.ai/v1",
        "https://docs.perplexity.ai/api-reference/models-get",
    ),
    Spec(
        "cerebras", "https://api.cerebras.ai/v1", "https://inference-docs.cerebras.ai/api-reference"
    ),
    Spec(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai",
        "https://deepinfra.com/docs/openai_api",
    ),
    Spec(
        "huggingface",
        "https://router.huggingface.co/v1",
        "https://huggingface.co/docs/inference-providers/index",
    ),
    Spec(
        "ollama",
        "http://localhost:11434/v1",
        "https://github.com/ollama/ollama/blob/main/docs/openai.md",
        retrieve=True,
    ),
)


class OpenAICompatibleClient(common.Client):
    """Lists models from `GET {base}/models` (OpenAI's shape, or the spec's variation of it)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.slug = spec.slug
        self.option_keys = frozenset(option for option, _ in spec.option_headers)

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        params = common.pass_through(query, provider=self.slug)
        data = self._get(target, "/models", params)
        return ModelList(
            tuple(self._model(item) for item in common.items(data, self.spec.page, self.slug))
        )

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        if not self.spec.retrieve:
            return common.find(self.list_models(target).models, model_id, self.slug)
        path = "/models/" + common.model_path(model_id, self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = self._get(target, path, {})
        return self._model(common.obj(data, self.slug))

    def _get(self, target: Target, path: str, params: dict) -> object:
        self.require_valid(target)
        headers = {}
        if target.credential:  # local servers and public lists (Ollama, OpenRouter) need none
            headers["Authorization"] = f"Bearer {target.credential}"
        for option, header in self.spec.option_headers:
            if target.options.get(option):
                headers[header] = target.options[option]
        url = common.base_url(target, self.spec.base_url) + path  # see self.spec.docs
        return http.get_json(url, provider=self.slug, headers=headers, params=params)

    def _model(self, item: dict) -> Model:
        model_id = common.text(item, "id", self.slug)
        if item.keys() <= PLAIN_KEYS:  # OpenAI's own item: there is no metadata to look for
            return Model(
                id=model_id,
                created=common.unix(item.get("created")),
                owned_by=self._owner(item, model_id),
            )
        architecture = _dict(item, "architecture")
        input_price, output_price = self._prices(_dict(item, "pricing"))
        return Model(
            id=model_id,
            created=common.unix(item.get("created")),
            owned_by=self._owner(item, model_id),
            name=common.opt_str(item.get("display_name") or item.get("name")),
            context_length=_context_length(item),
            max_output_tokens=common.opt_int(
                item.get("max_completion_tokens")
                or _dict(item, "top_provider").get("max_completion_tokens")
            ),
            input_modalities=common.strs(architecture.get("input_modalities")),
            output_modalities=common.strs(architecture.get("output_modalities")),
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
            return common.opt_float(pricing.get("prompt")), common.opt_float(
                pricing.get("completion")
            )
        if self.spec.pricing == "per_million":
            prices = common.opt_float(pricing.get("input")), common.opt_float(pricing.get("output"))
            return tuple(p / 1_000_000 if p is not None else None for p in prices)
        return None, None


def _capabilities(item: dict) -> tuple[str, ...]:
    """Mistral's capability flags, or the supports_* flags of Fireworks and the HF router."""
    flags = common.flags(item["capabilities"]) if "capabilities" in item else ()
    supports = tuple(
        k[9:] for k, v in item.items() if v is True and k.startswith("supports_")
    )  # len("supports_") == 9
    return flags + supports if supports else flags


# The fields of an item in OpenAI's own list. An item with nothing else (OpenAI's own answer,
# and servers that copy it exactly) skips the search for metadata fields: about two thirds
# of the time of a 50-model list.
PLAIN_KEYS = frozenset({"id", "object", "created", "owned_by"})

CONTEXT_KEYS = ("context_length", "max_context_length", "context_window", "max_model_len")


def _context_length(item: dict) -> int | None:
    for key in CONTEXT_KEYS:
        value = item.get(key)
        if value is not None and (number := common.opt_int(value)) is not None:
            return number
    # The Hugging Face router lists each serving provider's window; the largest is reachable.
    providers = item.get("providers")
    if not isinstance(providers, list):
        return None
    windows = [common.opt_int(p.get("context_length")) for p in providers if isinstance(p, dict)]
    return max((w for w in windows if w is not None), default=None)


def _dict(item: dict, key: str) -> dict:
    value = item.get(key)
    return value if isinstance(value, dict) else {}


CLIENTS = tuple(OpenAICompatibleClient(spec) for spec in SPECS)
