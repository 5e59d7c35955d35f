"""Imported model metadata: load a public file, merge it, and fill the catalog's gaps with it."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from models_api.catalog.formats import MetadataFormatError, records_read
from models_api.catalog.query import catalog_changed
from models_api.errors import GatewayError
from models_api.models import SYNCED_COLUMNS, CatalogEntry, ModelMetadata
from models_api.outbound import egress, http

REFRESH_BATCH = 2000


class MetadataIndex:
    """Imported metadata by (provider, model id); rows without a provider match any provider."""

    def __init__(self, rows: Mapping[tuple[str, str], dict]):
        self._rows = rows

    def get(self, provider: str, model_id: str) -> dict:
        return self._rows.get((provider, model_id)) or self._rows.get(("", model_id)) or {}


@dataclass(frozen=True)
class ImportResult:
    format: str
    read: int
    skipped: int
    created: int
    updated: int
    unchanged: int
    entries_refreshed: int


def metadata_index() -> MetadataIndex:
    """All imported metadata in memory (one query): a public file holds a few thousand models."""
    rows = ModelMetadata.objects.values_list("provider", "model_id", "values")
    return MetadataIndex({(provider, model_id): values for provider, model_id, values in rows})


def metadata_load(*, location: str) -> object:
    """The decoded JSON of a local file or an http(s) URL; MetadataFormatError when unusable."""
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        try:  # the shared HTTP module: timeout, size cap; the operator chose this URL
            return http.get_json(location, provider="metadata source", policy=egress.OPERATOR)
        except GatewayError as exc:
            raise MetadataFormatError(f"Could not fetch {location}: {exc.message}") from None
    if len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise MetadataFormatError(f"Only http(s) URLs and local files can be read, not {scheme}:.")
    try:
        text = Path(location).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataFormatError(f"Could not read {location}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetadataFormatError(f"{location} is not valid JSON: {exc}") from None


def metadata_import(*, data: object) -> ImportResult:
    """Merge a decoded LiteLLM or OpenRouter file into ModelMetadata, then refresh the catalog.

    Values in the file replace imported ones for the same model and provider; fields the file
    lacks keep their earlier values. Catalog entries then use them wherever neither an admin
    override nor the provider's list gives a value.
    """
    fmt, records, skipped = records_read(data)
    merged: dict[tuple[str, str], dict] = {}
    for record in records:
        key = (record.provider, record.model_id)
        merged[key] = {**merged.get(key, {}), **record.values}
    with transaction.atomic():
        created, updated, unchanged = _upsert(merged, fmt)
    refreshed = catalog_entries_refresh()
    catalog_changed()
    return ImportResult(fmt, len(records), skipped, created, updated, unchanged, refreshed)


def catalog_entries_refresh() -> int:
    """Recompute every entry's effective values from its layers; returns how many changed."""
    index, last_pk, changed = metadata_index(), 0, 0
    while True:
        batch = list(CatalogEntry.objects.filter(pk__gt=last_pk).order_by("pk")[:REFRESH_BATCH])
        if not batch:
            return changed
        stale = []
        for entry in batch:
            before = tuple(getattr(entry, column) for column in SYNCED_COLUMNS)
            entry.resolve(index.get(entry.provider, entry.model_id))
            if tuple(getattr(entry, column) for column in SYNCED_COLUMNS) != before:
                stale.append(entry)
        CatalogEntry.objects.bulk_update(stale, SYNCED_COLUMNS)
        changed += len(stale)
        last_pk = batch[-1].pk


def metadata_for(*, entry: CatalogEntry) -> dict:
    """The imported metadata that applies to one entry (one query)."""
    rows = ModelMetadata.objects.filter(model_id=entry.model_id, provider__in=[entry.provider, ""])
    found = {row.provider: row.values for row in rows}
    return found.get(entry.provider) or found.get("") or {}


def _upsert(merged: dict[tuple[str, str], dict], fmt: str) -> tuple[int, int, int]:
    existing = {(m.provider, m.model_id): m for m in ModelMetadata.objects.all()}
    now = timezone.now()
    new, changed = [], []
    for (provider, model_id), values in merged.items():
        row = existing.get((provider, model_id))
        if row is None:
            new.append(
                ModelMetadata(model_id=model_id, provider=provider, source=fmt, values=values)
            )
            continue
        combined = {**row.values, **values}
        if combined != row.values or row.source != fmt:
            row.values, row.source, row.updated_at = combined, fmt, now
            changed.append(row)
    ModelMetadata.objects.bulk_create(new)
    ModelMetadata.objects.bulk_update(changed, ["values", "source", "updated_at"])
    return len(new), len(changed), len(merged) - len(new) - len(changed)
