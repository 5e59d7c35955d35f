"""Catalog sync: pull each virtual key's model list into the catalog, one transaction per key."""

import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from keys.models import VirtualKey
from keys.targets import target_for_virtual_key, virtual_key_secrets
from models_api.catalog.bulk import rows_write
from models_api.catalog.metadata import MetadataIndex, metadata_index
from models_api.catalog.query import catalog_changed
from models_api.catalog.runs import (
    awaited,
    heartbeat,
    sync_run_start,
    sync_runs_interrupted_close,
)
from models_api.catalog.values import metadata_clean
from models_api.errors import GatewayError
from models_api.models import (
    MODEL_ID_MAX_LENGTH,
    SYNCED_COLUMNS,
    CatalogEntry,
    SyncRun,
    effective_columns,
    public_id_for,
)
from models_api.providers import get_client
from models_api.providers.base import Model
from models_api.redaction import exception_text, scrub
from models_api.text import has_control, without_controls

log = logging.getLogger(__name__)

# Bump when the normalisation of listed values changes, so the next sync rewrites every entry.
LISTING_VERSION = 1
FETCH_WORKERS = 16  # providers listed at once: network-bound, so more than the cores
REMOVAL_BATCH = 500  # ids per UPDATE, well under SQLite's 999 parameters


@dataclass
class KeyResult:
    """What one sync did (or, on a dry run, would do) to one virtual key's entries."""

    slug: str
    provider: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class RemovalRefused(Exception):
    """The key's list would change in a way that needs a human (or `force`)."""


def catalog_sync(
    *,
    virtual_keys: Iterable[VirtualKey] | None = None,
    provider: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[KeyResult], None] | None = None,
) -> SyncRun:
    """Sync the active virtual keys (all, or those given, optionally of one provider).

    A key whose provider fails, or whose list would drop more than half of its listed models
    (unless `force`), is left as it was and recorded as failed; the others still sync.
    `progress` is called with each key's result as soon as it is done.
    """
    keys = VirtualKey.objects.filter(is_active=True).order_by("slug")
    if virtual_keys is not None:
        keys = keys.filter(pk__in=[vk.pk for vk in virtual_keys])
    if provider:
        keys = keys.filter(provider=provider)
    sync_runs_interrupted_close()
    keys = list(keys)
    run = sync_run_start(dry_run=dry_run, forced=force, keys_total=len(keys))
    index = metadata_index()
    results = []
    # Providers are fetched concurrently (network-bound); each key's write stays one transaction
    # on this thread, in slug order, as soon as its list has arrived.
    with ThreadPoolExecutor(max_workers=max(1, min(FETCH_WORKERS, len(keys)))) as pool:
        listings = [pool.submit(_fetch, virtual_key) for virtual_key in keys]
        for virtual_key, listing in zip(keys, listings, strict=True):
            result = _key_sync(
                virtual_key,
                awaited(listing, run, results),
                index=index,
                dry_run=dry_run,
                force=force,
            )
            results.append(result)
            heartbeat(run, results)
            if progress is not None:
                progress(result)
    _run_finish(run, results)
    return run


def virtual_keys_sync_now(queryset: Iterable[VirtualKey]) -> SyncRun:
    """The admin's "sync now" action: sync these keys (inactive ones are skipped)."""
    return catalog_sync(virtual_keys=queryset)


def catalog_public_ids_refresh(*, virtual_key: VirtualKey) -> int:
    """Rename a key's catalog ids after its slug changed; returns the number of entries renamed."""
    public_id = Concat(Value(public_id_for(virtual_key.slug, "")), F("model_id"))
    stale = CatalogEntry.objects.filter(virtual_key=virtual_key).exclude(public_id=public_id)
    return stale.update(public_id=public_id)


def _fetch(virtual_key: VirtualKey) -> tuple[Model, ...] | Exception:
    """The key's models, or the exception that stopped the fetch (raised later, per key)."""
    try:
        target = target_for_virtual_key(virtual_key)
        return get_client(virtual_key.provider).list_models(target).models
    except Exception as exc:  # handed to _key_sync, which records it for this key only
        return exc


def _key_sync(
    virtual_key: VirtualKey,
    listing: tuple[Model, ...] | Exception,
    *,
    index: MetadataIndex,
    dry_run: bool,
    force: bool,
) -> KeyResult:
    result = KeyResult(slug=virtual_key.slug, provider=virtual_key.provider)
    try:
        if isinstance(listing, Exception):
            raise listing
        with transaction.atomic():
            _apply(virtual_key, listing, result, index=index, dry_run=dry_run, force=force)
        if not dry_run:
            catalog_changed()  # bulk writes send no signals
    except (GatewayError, RemovalRefused) as exc:
        result.error = scrub(str(exc), virtual_key_secrets(virtual_key))
    except IntegrityError:
        result.error = "Another sync changed this key's entries at the same time; run it again."
    except Exception as exc:  # one broken key must not stop the others
        log.error(
            "catalog sync of virtual key %s failed\n%s",
            virtual_key.slug,
            exception_text(exc, virtual_key_secrets(virtual_key)),
        )
        result.error = f"Internal error ({type(exc).__name__}); see the gateway log."
    if result.error:
        result.added = result.updated = result.removed = result.unchanged = 0
    return result


def _apply(virtual_key, models: Iterable[Model], result: KeyResult, *, index, dry_run, force):
    """Diff the provider's list against the key's entries and write the difference in bulk.

    Rows are compared by fingerprint, so an unchanged entry is never built as an object nor
    written (beyond one UPDATE of last_seen_at for the whole key). Imported metadata is applied
    to new and changed rows here, and to all rows by the import itself.
    """
    now = timezone.now()
    existing = {
        model_id: (is_listed, fingerprint, overrides)
        for model_id, is_listed, fingerprint, overrides in CatalogEntry.objects.filter(
            virtual_key=virtual_key
        ).values_list("model_id", "is_listed", "fingerprint", "overrides")
    }
    listed_before = sum(state[0] for state in existing.values())
    seen: set[str] = set()
    additions, changes = [], []
    for model in models:
        if not model.id or len(model.id) > MODEL_ID_MAX_LENGTH or model.id in seen:
            continue
        if has_control(model.id):  # no caller could name it, and PostgreSQL refuses a NUL
            continue
        seen.add(model.id)
        fingerprint = listing_fingerprint(virtual_key, model)
        state = existing.get(model.id)
        if state is None:
            result.added += 1
        elif not state[0]:
            result.added += 1  # listed again after a removal
        elif state[1] != fingerprint:
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        row = _row(virtual_key, model, now, overrides=state[2] if state else {}, index=index)
        row["fingerprint"] = fingerprint
        (changes if state else additions).append(row)
    gone = [model_id for model_id, state in existing.items() if state[0] and model_id not in seen]
    result.removed = len(gone)
    if listed_before and len(gone) * 2 > listed_before and not force:
        raise RemovalRefused(
            f"Refused: the provider's list would remove {len(gone)} of {listed_before} listed "
            "models (more than half); entries left as they were. Force the sync if intended."
        )
    if dry_run:
        return
    rows_write(CatalogEntry, additions)
    # An upsert rewrites changed rows in place; `overrides` and `first_seen_at` are not touched.
    rows_write(
        CatalogEntry,
        changes,
        conflict_fields=["virtual_key", "model_id"],
        update_fields=[*SYNCED_COLUMNS, "last_seen_at"],
    )
    entries = CatalogEntry.objects.filter(virtual_key=virtual_key)
    for start in range(0, len(gone), REMOVAL_BATCH):
        entries.filter(model_id__in=gone[start : start + REMOVAL_BATCH]).update(is_listed=False)
    entries.filter(is_listed=True).update(last_seen_at=now)


def listing_fingerprint(virtual_key: VirtualKey, model: Model) -> str:
    """A digest of what the provider listed, so an unchanged model costs no write."""
    listing = f"{LISTING_VERSION}|{virtual_key.provider}|{virtual_key.slug}|{model!r}"
    return hashlib.blake2b(listing.encode(), digest_size=16).hexdigest()


def _row(virtual_key: VirtualKey, model: Model, now, *, overrides: dict, index) -> dict:
    """Every column of the entry for `model`, with its effective metadata resolved."""
    synced = metadata_clean(
        {
            "name": model.name,
            "context_length": model.context_length,
            "max_output_tokens": model.max_output_tokens,
            "input_price": model.input_price,
            "output_price": model.output_price,
            "input_modalities": model.input_modalities,
            "output_modalities": model.output_modalities,
            "capabilities": model.capabilities,
        }
    )
    return {
        "virtual_key_id": virtual_key.pk,
        "provider": virtual_key.provider,
        "model_id": model.id,
        "public_id": public_id_for(virtual_key.slug, model.id),
        "created": max(0, int(model.created or 0)),
        "owned_by": without_controls(model.owned_by or virtual_key.provider)[:255],
        "synced": synced,
        "overrides": overrides,
        **effective_columns(overrides, synced, index.get(virtual_key.provider, model.id)),
        "is_listed": True,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _run_finish(run: SyncRun, results: list[KeyResult]) -> None:
    failed = [r for r in results if not r.ok]
    run.results = [asdict(r) for r in results]
    run.keys_total, run.keys_failed = len(results), len(failed)
    for count in ("added", "updated", "removed", "unchanged"):
        setattr(run, count, sum(getattr(r, count) for r in results))
    run.error = "\n".join(f"{r.slug}: {r.error}" for r in failed)
    if not failed:
        run.status = SyncRun.Status.SUCCEEDED
    else:
        run.status = (
            SyncRun.Status.FAILED if len(failed) == len(results) else SyncRun.Status.PARTIAL
        )
    run.finished_at = timezone.now()
    run.save()
