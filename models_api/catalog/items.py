"""A catalog entry as /v1/models shows it: the OpenAI model fields plus the catalog's metadata.

Pricing comes in two shapes: `input`/`output` as numbers of USD per token, and OpenRouter's
`prompt`/`completion` as decimal strings of USD per token, which chat front ends such as
LibreChat read (https://openrouter.ai/docs/api-reference/list-available-models), alongside
OpenRouter's `top_provider.max_completion_tokens`.
"""

from decimal import Decimal

from django.db.models import F, QuerySet

COLUMNS = (
    "public_id",
    "model_id",
    "provider",
    "created",
    "owned_by",
    "name",
    "context_length",
    "max_output_tokens",
    "input_price",
    "output_price",
    "input_modalities",
    "output_modalities",
    "capabilities",
)


def entry_rows(entries: QuerySet, *extra: str):
    """The columns an item needs, as dicts, with the virtual key's slug."""
    return entries.values(*COLUMNS, *extra, virtual_key_slug=F("virtual_key__slug"))


def entry_item(row: dict) -> dict:
    """The /v1/models item for one row of entry_rows."""
    return {
        "id": row["public_id"],
        "object": "model",
        "created": row["created"],
        "owned_by": row["owned_by"],
        "provider": row["provider"],
        "slug": row["model_id"],
        "virtual_key": row["virtual_key_slug"],
        "name": row["name"] or None,
        "context_length": row["context_length"],
        "max_output_tokens": row["max_output_tokens"],
        "top_provider": {
            "context_length": row["context_length"],
            "max_completion_tokens": row["max_output_tokens"],
        },
        "pricing": {
            "input": _number(row["input_price"]),
            "output": _number(row["output_price"]),
            "prompt": _text(row["input_price"]),
            "completion": _text(row["output_price"]),
        },
        "input_modalities": row["input_modalities"],
        "output_modalities": row["output_modalities"],
        "capabilities": row["capabilities"],
    }


def _number(value) -> float | None:
    return None if value is None else float(value)


def _text(value: Decimal | None) -> str | None:
    # Exact and without an exponent: "0.0000025", as OpenRouter writes its prices.
    return None if value is None else format(Decimal(value).normalize(), "f")
