"""The OpenAI-compatible providers, a few lines of Spec each: where, what they offer, quirks."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# OpenAI's own paths for the calls it offers, under the base URL.
PATHS = MappingProxyType(
    {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
)


@dataclass(frozen=True)
class Spec:
    """How one OpenAI-compatible provider lists its models and which calls it offers."""

    slug: str
    base_url: str
    docs: str  # the provider's API reference: its models list and the calls it offers
    offers: Mapping[str, str] = field(default_factory=lambda: PATHS)  # capability -> path
    retrieve: bool = False  # has `GET {base_url}/models/{id}`; otherwise the list is searched
    list_path: str = "/models"
    page: str = "data"  # key of the model list in the body; "" for a bare JSON array
    owner_field: str = "owned_by"
    pricing: str = ""  # "per_token": pricing.prompt/completion; "per_million": pricing.input/output
    option_headers: tuple[tuple[str, str], ...] = ()  # (Target.options key, header) pairs
    # Takes `stream_options.include_usage`, so the gateway asks for a stream's usage. Off for
    # the rest: Mistral refuses unknown fields (422 extra_forbidden), OpenRouter, Together,
    # Perplexity and Fireworks send usage in their last chunk unasked, the others say nothing.
    stream_usage: bool = False


def offering(*capabilities: str, **paths: str) -> Mapping[str, str]:
    """The calls a spec offers: OpenAI's paths for `capabilities`, and the other `paths` given."""
    return MappingProxyType({**{name: PATHS[name] for name in capabilities}, **paths})


SPECS = (
    Spec("openai", "https://api.openai.com/v1", "https://platform.openai.com/docs/api-reference",
         retrieve=True, stream_usage=True,
         option_headers=(("openai_organization", "OpenAI-Organization"),
                         ("openai_project", "OpenAI-Project"))),
    # Chat only, no embeddings or legacy completions: https://console.groq.com/docs/openai
    # (stream usage also comes in x_groq.usage, which usage.tokens reads).
    Spec("groq", "https://api.groq.com/openai/v1", "https://console.groq.com/docs/api-reference",
         offering("chat"), retrieve=True, stream_usage=True),
    Spec("together-ai", "https://api.together.xyz/v1", "https://docs.together.ai/reference/models",
         page="", owner_field="organization", pricing="per_million"),
    # Its FIM (/v1/fim/completions) answers in chat's shape, so it is no legacy completions.
    Spec("mistral-ai", "https://api.mistral.ai/v1", "https://docs.mistral.ai/api/",
         offering("chat", "embeddings"), retrieve=True),
    # Completions are FIM, in beta: https://api-docs.deepseek.com/guides/fim_completion
    Spec("deepseek", "https://api.deepseek.com", "https://api-docs.deepseek.com/api/list-models",
         offering("chat", completions="/beta/completions"), stream_usage=True),
    Spec("x-ai", "https://api.x.ai/v1", "https://docs.x.ai/docs/api-reference", retrieve=True,
         stream_usage=True),
    Spec("fireworks-ai", "https://api.fireworks.ai/inference/v1",
         "https://docs.fireworks.ai/tools-sdks/openai-compatibility"),
    Spec("openrouter", "https://openrouter.ai/api/v1",
         "https://openrouter.ai/docs/api-reference/list-available-models", pricing="per_token"),
    # Sonar chat sits at the root, the rest under /v1; embeddings default to base64_int8.
    Spec("perplexity-ai", "https://api.perplexity.ai", "https://docs.perplexity.ai/api-reference",
         offering("chat", embeddings="/v1/embeddings"), list_path="/v1/models"),
    Spec("cerebras", "https://api.cerebras.ai/v1", "https://inference-docs.cerebras.ai/api-reference",
         offering("chat", "completions")),
    Spec("deepinfra", "https://api.deepinfra.com/v1/openai", "https://deepinfra.com/docs/openai_api"),
    # The router serves chat; its embeddings are a per-task API, not /v1/embeddings.
    Spec("huggingface", "https://router.huggingface.co/v1",
         "https://huggingface.co/docs/inference-providers/index", offering("chat")),
    Spec("ollama", "http://localhost:11434/v1", "https://docs.ollama.com/api/openai-compatibility",
         retrieve=True, stream_usage=True),
)  # fmt: skip
