"""What a call cost: its tokens at the catalog's per-token prices, looked up per batch."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Q

from models_api.catalog.values import price_decimal, price_text
from models_api.models import CatalogEntry, ModelMetadata

Prices = tuple[Decimal | None, Decimal | None]  # (input, output), USD per token
Call = tuple[int | None, str, str]  # (virtual key id, provider, model)


def prices_for(calls: Iterable[Call]) -> dict[Call, Prices]:
    """The prices of each call's model: that virtual key's catalog entry (its effective
    prices, admin overrides included), else imported metadata for the provider, else for
    any provider. Two queries for a whole batch."""
    calls = set(calls)
    found: dict[Call, Prices] = {}
    keyed = [(vk, model) for vk, _, model in calls if vk is not None]
    if keyed:
        match = reduce(or_, (Q(virtual_key_id=vk, model_id=model) for vk, model in keyed))
        rows = CatalogEntry.objects.filter(match).values_list(
            "virtual_key_id", "provider", "model_id", "input_price", "output_price"
        )
        for vk, provider, model, input_price, output_price in rows:
            if (vk, provider, model) in calls and (input_price, output_price) != (None, None):
                found[(vk, provider, model)] = (input_price, output_price)
    missing = [call for call in calls if call not in found]
    if missing:
        imported: dict[tuple[str, str], Prices] = {}
        rows = ModelMetadata.objects.filter(
            model_id__in={model for _, _, model in missing},
            provider__in={provider for _, provider, _ in missing} | {""},
        ).values_list("provider", "model_id", "values")
        for provider, model, values in rows:
            imported[(provider, model)] = (
                _price(values, "input_price"),
                _price(values, "output_price"),
            )
        for call in missing:
            _, provider, model = call
            prices = imported.get((provider, model)) or imported.get(("", model))
            if prices is not None:
                found[call] = prices
    return found


def cost_of(prices: Prices | None, *, prompt: int | None, completion: int | None) -> Decimal | None:
    """prompt x input price + completion x output price; None when a price it needs is unknown
    (a cost with a missing half would read as exact when it is not)."""
    if prices is None or (prompt is None and completion is None):
        return None
    total = Decimal(0)
    for tokens, price in ((prompt, prices[0]), (completion, prices[1])):
        if tokens:
            if price is None:
                return None
            total += tokens * price
    return total


def costs_for(rows: Sequence) -> list[Decimal | None]:
    """The cost of each row (anything with virtual_key_id, provider, model and token counts)."""
    prices = prices_for((r.virtual_key_id, r.provider, r.model) for r in rows)
    return [
        cost_of(
            prices.get((r.virtual_key_id, r.provider, r.model)),
            prompt=r.prompt_tokens,
            completion=r.completion_tokens,
        )
        for r in rows
    ]


def _price(values: object, name: str) -> Decimal | None:
    value = values.get(name) if isinstance(values, dict) else None
    return price_decimal(price_text(value))
