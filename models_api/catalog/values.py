"""One normalised shape for model metadata, whether synced, imported or set by an admin."""

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from models_api.text import without_controls

INT_FIELDS = ("context_length", "max_output_tokens")
PRICE_FIELDS = ("input_price", "output_price")
LIST_FIELDS = ("input_modalities", "output_modalities", "capabilities")
METADATA_FIELDS = ("name", *INT_FIELDS, *PRICE_FIELDS, *LIST_FIELDS)

PRICE_QUANTUM = Decimal("1e-12")  # matches CatalogEntry's decimal_places
MAX_PRICE = Decimal("1e6")  # per token; anything above is a unit mistake, not a price
MAX_INT = 2**31 - 1  # PositiveIntegerField's range on every database
NAME_MAX_LENGTH = 255
TAG = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,39}$")

# Providers and metadata files name the same capability differently; the catalog filters on one.
CAPABILITY_ALIASES = {
    "function_calling": "tools",
    "function_call": "tools",
    "functions": "tools",
    "tool_calling": "tools",
    "tool_use": "tools",
    "tool_choice": "tools",
    "image_input": "vision",
    "embed": "embeddings",
    "embedding": "embeddings",
    "embedcontent": "embeddings",
    "batchembedcontents": "embeddings",
    "response_schema": "structured_outputs",
    "structured_output": "structured_outputs",
    "response_format": "structured_outputs",
}


def price_text(value: object) -> str | None:
    """A per-token price as an exact decimal string; None when absent, negative or absurd."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        return None  # OpenRouter prices its variable-cost routers as "-1"
    return format(price.quantize(PRICE_QUANTUM).normalize(), "f")


def price_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text).quantize(PRICE_QUANTUM)


def positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= MAX_INT else None


def tags(values: object, *, aliases: Mapping[str, str] | None = None) -> list[str]:
    """Lower-case, de-duplicated names; anything that is not a short plain word is dropped."""
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, Iterable):
        return []
    found: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        name = value.strip().lower().replace(" ", "_")
        name = (aliases or {}).get(name, name)
        if TAG.match(name) and name not in found:
            found.append(name)
    return found


def metadata_clean(raw: Mapping[str, object]) -> dict:
    """Only the known fields that hold usable values, in the stored (JSON-safe) form."""
    clean: dict = {}
    name = raw.get("name")
    if isinstance(name, str) and without_controls(name).strip():
        clean["name"] = without_controls(name).strip()[:NAME_MAX_LENGTH]
    for field in INT_FIELDS:
        if (number := positive_int(raw.get(field))) is not None:
            clean[field] = number
    for field in PRICE_FIELDS:
        if (price := price_text(raw.get(field))) is not None:
            clean[field] = price
    for field in LIST_FIELDS:
        aliases = CAPABILITY_ALIASES if field == "capabilities" else None
        if names := tags(raw.get(field), aliases=aliases):
            clean[field] = names
    return clean


def metadata_resolve(*layers: Mapping[str, object]) -> dict:
    """Each field from the first layer that has it; image input implies the vision capability."""
    values = {}
    for field in METADATA_FIELDS:
        for layer in layers:
            if layer.get(field) not in (None, "", []):
                values[field] = layer[field]
                break
    capabilities = list(values.get("capabilities") or [])
    if "image" in (values.get("input_modalities") or []) and "vision" not in capabilities:
        values["capabilities"] = [*capabilities, "vision"]
    return values
