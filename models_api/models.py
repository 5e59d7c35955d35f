"""The local model catalog: synced entries per virtual key, imported metadata, sync runs."""

from collections.abc import Mapping

from django.db import models
from django.utils import timezone

from models_api.catalog.values import METADATA_FIELDS, metadata_resolve, price_decimal
from models_api.usage.models import Usage  # noqa: F401  (registered with this app)

MODEL_ID_MAX_LENGTH = 255


def public_id_for(virtual_key_slug: str, model_id: str) -> str:
    """Ids follow the hosted Portkey convention, unique across keys and naming their provider."""
    return f"@{virtual_key_slug}/{model_id}"


def tags_for(capabilities, input_modalities, output_modalities) -> str:
    """'|cap:tools|in:image|' - JSON containment is not available on SQLite, LIKE is everywhere."""
    tags = [f"cap:{c}" for c in capabilities]
    tags += [f"in:{m}" for m in input_modalities] + [f"out:{m}" for m in output_modalities]
    return "|" + "|".join(tags) + "|" if tags else ""


class CatalogEntry(models.Model):
    """One model listed by one virtual key.

    Metadata comes in three layers, each a dict of the same shape (see models_api.catalog.values):
    `overrides` (admin edits) win over `synced` (the provider's list), which wins over imported
    ModelMetadata. The typed columns hold the resulting effective values, so the catalog can
    filter and sort in SQL; they are recomputed on every sync, import and admin save, and a
    sync only ever rewrites `synced`, never `overrides`.
    """

    virtual_key = models.ForeignKey(
        "keys.VirtualKey", on_delete=models.CASCADE, related_name="catalog_entries"
    )
    provider = models.CharField(max_length=40)
    model_id = models.CharField("model id", max_length=MODEL_ID_MAX_LENGTH)
    public_id = models.CharField("public id", max_length=400, db_index=True, editable=False)
    created = models.BigIntegerField(default=0, help_text="Unix seconds, from the provider.")
    owned_by = models.CharField(max_length=255, blank=True)

    synced = models.JSONField(default=dict, blank=True, editable=False)
    overrides = models.JSONField(default=dict, blank=True)

    name = models.CharField(max_length=255, blank=True)
    context_length = models.PositiveIntegerField(null=True, blank=True)
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    input_price = models.DecimalField(
        max_digits=24, decimal_places=12, null=True, blank=True, help_text="USD per input token."
    )
    output_price = models.DecimalField(
        max_digits=24, decimal_places=12, null=True, blank=True, help_text="USD per output token."
    )
    input_modalities = models.JSONField(default=list, blank=True)
    output_modalities = models.JSONField(default=list, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    tags = models.TextField(blank=True, editable=False)
    fingerprint = models.CharField(
        max_length=32, blank=True, editable=False, help_text="Digest of the last synced listing."
    )

    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    is_listed = models.BooleanField(
        "still listed", default=True, help_text="Listed by the provider at the last sync."
    )

    class Meta:
        verbose_name = "catalog entry"
        verbose_name_plural = "catalog entries"
        ordering = ["public_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["virtual_key", "model_id"], name="catalog_entry_unique_model_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["is_listed", "provider"], name="catalog_listed_provider"),
            models.Index(fields=["is_listed", "created"], name="catalog_listed_created"),
            models.Index(fields=["is_listed", "context_length"], name="catalog_listed_context"),
            models.Index(fields=["is_listed", "input_price"], name="catalog_listed_in_price"),
            models.Index(fields=["is_listed", "output_price"], name="catalog_listed_out_price"),
        ]

    def __str__(self):
        return self.public_id

    def resolve(self, imported: Mapping | None = None) -> None:
        """Set the effective columns: overrides > synced > imported metadata."""
        for column, value in effective_columns(self.overrides, self.synced, imported).items():
            setattr(self, column, value)


def effective_columns(overrides: Mapping | None, synced: Mapping | None, imported: Mapping | None):
    """The typed columns a catalog entry serves, from its three metadata layers."""
    values = metadata_resolve(overrides or {}, synced or {}, imported or {})
    capabilities = values.get("capabilities") or []
    input_modalities = values.get("input_modalities") or []
    output_modalities = values.get("output_modalities") or []
    return {
        "name": values.get("name") or "",
        "context_length": values.get("context_length"),
        "max_output_tokens": values.get("max_output_tokens"),
        "input_price": price_decimal(values.get("input_price")),
        "output_price": price_decimal(values.get("output_price")),
        "input_modalities": input_modalities,
        "output_modalities": output_modalities,
        "capabilities": capabilities,
        "tags": tags_for(capabilities, input_modalities, output_modalities),
    }


# Columns a sync may rewrite; `overrides` and `first_seen_at` are deliberately absent.
SYNCED_COLUMNS = (
    "provider",
    "public_id",
    "created",
    "owned_by",
    "synced",
    "is_listed",
    "tags",
    "fingerprint",
    *METADATA_FIELDS,
)


class ModelMetadata(models.Model):
    """Metadata imported from a public file, keyed by model id and (optionally) provider."""

    model_id = models.CharField("model id", max_length=MODEL_ID_MAX_LENGTH)
    provider = models.CharField(max_length=40, blank=True, help_text="Empty: any provider.")
    source = models.CharField(max_length=40, help_text="The file format it came from.")
    values = models.JSONField(default=dict, help_text="The same shape as catalog overrides.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "imported model metadata"
        verbose_name_plural = "imported model metadata"
        ordering = ["model_id", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_id", "provider"], name="model_metadata_unique_model_provider"
            )
        ]

    def __str__(self):
        return f"{self.provider}/{self.model_id}" if self.provider else self.model_id


class SyncRun(models.Model):
    """One run of the catalog sync, with each virtual key's counts or error."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial", "partially failed"
        FAILED = "failed"
        INTERRUPTED = "interrupted"  # its process ended (killed) before the run finished

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    host = models.CharField(max_length=255, blank=True, help_text="The machine that ran it.")
    pid = models.PositiveIntegerField(null=True, blank=True, help_text="Its process id there.")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life, written while it runs."
    )
    dry_run = models.BooleanField(default=False)
    forced = models.BooleanField(default=False)
    results = models.JSONField(
        default=list,
        blank=True,
        help_text="Per virtual key: slug, provider, added, updated, removed, unchanged, error.",
    )
    keys_total = models.PositiveIntegerField(default=0)
    keys_failed = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why keys failed, one line per key.")

    class Meta:
        verbose_name = "sync run"
        ordering = ["-started_at"]

    def __str__(self):
        return f"Sync {self.started_at:%Y-%m-%d %H:%M:%S} ({self.status})"

    @property
    def ok(self) -> bool:
        return self.status == self.Status.SUCCEEDED
