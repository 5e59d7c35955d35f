"""Readers for public model-metadata files: LiteLLM's cost map and OpenRouter's model list."""

from collections.abc import Iterator
from dataclasses import dataclass

from models_api.catalog.values import metadata_clean
from models_api.providers.fields import mapping

LITELLM = "litellm"
OPENROUTER = "openrouter"

# LiteLLM's `litellm_provider` names -> this gateway's (Portkey's) provider slugs.
LITELLM_PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure-openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "mistral": "mistral-ai",
    "codestral": "mistral-ai",
    "groq": "groq",
    "together_ai": "together-ai",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "fireworks_ai": "fireworks-ai",
    "fireworks_ai-embedding-models": "fireworks-ai",
    "openrouter": "openrouter",
    "perplexity": "perplexity-ai",
    "ollama": "ollama",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "huggingface": "huggingface",
    "cerebras": "cerebras",
    "deepinfra": "deepinfra",
}
LITELLM_MODES = {
    "embedding": "embeddings",
    "image_generation": "image_generation",
    "audio_transcription": "transcription",
    "audio_speech": "speech",
}
# Only the OpenRouter parameters that describe a capability (not sampling knobs).
OPENROUTER_CAPABILITIES = {
    "tools": "tools",
    "tool_choice": "tools",
    "structured_outputs": "structured_outputs",
    "response_format": "structured_outputs",
    "reasoning": "reasoning",
    "web_search_options": "web_search",
}


class MetadataFormatError(ValueError):
    """The data is not a metadata file this gateway can read; the message says why."""


@dataclass(frozen=True)
class Record:
    model_id: str
    provider: str
    values: dict


def format_detect(data: object) -> str:
    """LITELLM or OPENROUTER; MetadataFormatError for anything else."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return OPENROUTER
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        keys = {k for spec in data.values() for k in spec}
        if "sample_spec" in data or keys & {"litellm_provider", "input_cost_per_token"}:
            return LITELLM
    raise MetadataFormatError(
        "Not a known metadata format: expected LiteLLM's model cost map (a JSON object of "
        "model -> {litellm_provider, max_input_tokens, input_cost_per_token, ...}) or "
        'OpenRouter\'s /api/v1/models response ({"data": [{"id": ..., "pricing": ...}]}).'
    )


def records_read(data: object) -> tuple[str, list[Record], int]:
    """(format, records, skipped entries) for a decoded metadata file."""
    fmt = format_detect(data)
    reader = _litellm if fmt == LITELLM else _openrouter
    records, skipped = [], 0
    for record in reader(data):
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return fmt, records, skipped


def _litellm(data: dict) -> Iterator[Record | None]:
    # https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json
    for key, spec in data.items():
        if key == "sample_spec":
            continue
        source = (
            spec.get("litellm_provider") if isinstance(spec.get("litellm_provider"), str) else ""
        )
        prefix, _, rest = key.partition("/")
        model_id = rest if rest and prefix in (source, *LITELLM_PROVIDERS) else key
        provider = LITELLM_PROVIDERS.get(source, source.replace("_", "-"))[:40]
        flags = [k.removeprefix("supports_") for k, v in spec.items() if k.startswith("supports_")]
        flags = [f for f in flags if spec.get(f"supports_{f}") is True]
        mode = spec.get("mode")
        inputs = spec.get("supported_modalities") or _litellm_inputs(flags, mode)
        outputs = spec.get("supported_output_modalities") or _litellm_outputs(flags, mode)
        values = metadata_clean(
            {
                "context_length": spec.get("max_input_tokens") or spec.get("max_tokens"),
                "max_output_tokens": spec.get("max_output_tokens"),
                "input_price": spec.get("input_cost_per_token"),
                "output_price": spec.get("output_cost_per_token"),
                "input_modalities": inputs,
                "output_modalities": outputs,
                "capabilities": [*flags, LITELLM_MODES.get(mode, mode)],
            }
        )
        yield Record(model_id, provider, values) if model_id and values else None


def _litellm_inputs(flags: list[str], mode: object) -> list[str]:
    if mode not in ("chat", "completion", "embedding"):
        return []
    extra = {"vision": "image", "audio_input": "audio", "pdf_input": "file"}
    return ["text", *(extra[f] for f in flags if f in extra)]


def _litellm_outputs(flags: list[str], mode: object) -> list[str]:
    if mode == "image_generation":
        return ["image"]
    if mode not in ("chat", "completion"):
        return []
    return ["text", "audio"] if "audio_output" in flags else ["text"]


def _openrouter(data: dict) -> Iterator[Record | None]:
    # https://openrouter.ai/docs/api-reference/list-available-models
    for item in data["data"]:
        model_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(model_id, str) or not model_id:
            yield None
            continue
        pricing = mapping(item.get("pricing"))
        architecture = mapping(item.get("architecture"))
        parameters = item.get("supported_parameters")
        parameters = parameters if isinstance(parameters, list) else []
        values = metadata_clean(
            {
                "name": item.get("name"),
                "context_length": item.get("context_length"),
                "max_output_tokens": mapping(item.get("top_provider")).get("max_completion_tokens"),
                "input_price": pricing.get("prompt"),
                "output_price": pricing.get("completion"),
                "input_modalities": architecture.get("input_modalities"),
                "output_modalities": architecture.get("output_modalities"),
                "capabilities": [OPENROUTER_CAPABILITIES.get(p) for p in parameters],
            }
        )
        yield Record(model_id, OPENROUTER, values) if values else None
