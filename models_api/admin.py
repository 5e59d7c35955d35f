"""Admin console for the catalog: entries with editable overrides, imported metadata, sync runs."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from models_api.catalog.metadata import metadata_for
from models_api.catalog.runs import sync_runs_interrupted_close
from models_api.catalog.values import LIST_FIELDS, MAX_INT, METADATA_FIELDS, metadata_clean, tags
from models_api.models import CatalogEntry, ModelMetadata, SyncRun
from models_api.usage import admin as usage_admin  # noqa: F401  (registers UsageAdmin)

COMMON_CAPABILITIES = ("tools", "vision", "embeddings", "structured_outputs", "reasoning")
RUN_COLUMNS = ("virtual key", "provider", "added", "updated", "removed", "unchanged", "error")
LIST_HELP = "Comma-separated names, e.g. {}."


class CatalogEntryForm(forms.ModelForm):
    """Edits only `overrides`; each field's help shows the synced or imported value it replaces."""

    override_name = forms.CharField(label="Name", required=False, max_length=255)
    override_context_length = forms.IntegerField(
        label="Context length", required=False, min_value=1, max_value=MAX_INT
    )
    override_max_output_tokens = forms.IntegerField(
        label="Max output tokens", required=False, min_value=1, max_value=MAX_INT
    )
    override_input_price = forms.DecimalField(
        label="Input price (USD per token)", required=False, min_value=0, decimal_places=12
    )
    override_output_price = forms.DecimalField(
        label="Output price (USD per token)", required=False, min_value=0, decimal_places=12
    )
    override_input_modalities = forms.CharField(label="Input modalities", required=False)
    override_output_modalities = forms.CharField(label="Output modalities", required=False)
    override_capabilities = forms.CharField(label="Capabilities", required=False)

    class Meta:
        model = CatalogEntry
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        overrides = self.instance.overrides or {}
        fallback = {**metadata_for(entry=self.instance), **(self.instance.synced or {})}
        examples = {"capabilities": "tools, vision", "output_modalities": "text"}
        for name in METADATA_FIELDS:
            field = self.fields[f"override_{name}"]
            value = overrides.get(name)
            field.initial = ", ".join(value) if isinstance(value, list) else value
            below = fallback.get(name)
            shown = ", ".join(below) if isinstance(below, list) else below
            hint = (
                LIST_HELP.format(examples.get(name, "text, image")) if name in LIST_FIELDS else ""
            )
            field.help_text = f"{hint} Synced or imported value: {shown or 'none'}.".strip()

    def _clean_names(self, name: str) -> list[str]:
        raw = [p.strip() for p in self.cleaned_data[f"override_{name}"].split(",") if p.strip()]
        names = tags(raw, aliases=None)
        if len(names) != len({part.lower() for part in raw}):
            raise forms.ValidationError("Use short lower-case names such as text or tools.")
        return names

    def clean_override_input_modalities(self):
        return self._clean_names("input_modalities")

    def clean_override_output_modalities(self):
        return self._clean_names("output_modalities")

    def clean_override_capabilities(self):
        return self._clean_names("capabilities")

    def save(self, commit=True):
        entry = super().save(commit=False)
        entry.overrides = metadata_clean(
            {name: self.cleaned_data.get(f"override_{name}") for name in METADATA_FIELDS}
        )
        entry.resolve(metadata_for(entry=entry))
        if commit:
            entry.save()
        return entry


class CapabilityFilter(admin.SimpleListFilter):
    title = "capability"
    parameter_name = "capability"

    def lookups(self, request, model_admin):
        return [(name, name) for name in COMMON_CAPABILITIES]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__contains=f"|cap:{self.value()}|")
        return queryset


@admin.register(CatalogEntry)
class CatalogEntryAdmin(admin.ModelAdmin):
    """Entries come from syncs; admins only adjust metadata through overrides."""

    form = CatalogEntryForm
    list_display = [
        "public_id",
        "provider",
        "virtual_key",
        "name",
        "context_length",
        "input_price",
        "output_price",
        "has_overrides",
        "is_listed",
        "last_seen_at",
    ]
    list_filter = ["provider", "virtual_key", CapabilityFilter, "is_listed"]
    list_select_related = ["virtual_key"]
    search_fields = ["model_id", "public_id", "name"]
    show_full_result_count = False  # a COUNT(*) per page is slow on a large catalog
    entry_fields = [
        "public_id",
        "virtual_key",
        "provider",
        "model_id",
        "created",
        "owned_by",
        "is_listed",
        "first_seen_at",
        "last_seen_at",
    ]
    readonly_fields = [*entry_fields, *METADATA_FIELDS, "synced_values"]
    fieldsets = [
        (None, {"fields": entry_fields}),
        (
            "Effective values (served by /v1/models: override, else synced, else imported)",
            {"fields": list(METADATA_FIELDS)},
        ),
        (
            "Synced from the provider's list (replaced by every sync)",
            {"fields": ["synced_values"]},
        ),
        (
            "Overrides (kept across syncs; leave a field empty to use the synced value)",
            {"fields": [f"override_{name}" for name in METADATA_FIELDS]},
        ),
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="overridden")
    def has_overrides(self, entry):
        return bool(entry.overrides)

    @admin.display(description="synced values")
    def synced_values(self, entry):
        return _values_table(entry.synced)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by commands and syncs: the admin only reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelMetadata)
class ModelMetadataAdmin(ReadOnlyAdmin):
    """Read-only: rows come from `manage.py import_model_metadata`."""

    list_display = ["model_id", "provider", "source", "updated_at"]
    list_filter = ["source", "provider"]
    search_fields = ["model_id"]
    readonly_fields = ["model_id", "provider", "source", "metadata", "updated_at"]
    exclude = ["values"]

    @admin.display(description="values")
    def metadata(self, row):
        return _values_table(row.values)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    """Read-only record of each sync, with every virtual key's counts or error."""

    list_display = [
        "started_at",
        "status",
        "dry_run",
        "keys_total",
        "keys_failed",
        "added",
        "updated",
        "removed",
        "unchanged",
        "duration",
    ]
    list_filter = ["status", "dry_run"]
    readonly_fields = [*list_display, "finished_at", "forced", "per_key", "error"]
    exclude = ["results"]

    def changelist_view(self, request, extra_context=None):
        sync_runs_interrupted_close()  # a killed sync reads as interrupted, not running
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sync_runs_interrupted_close()
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="duration")
    def duration(self, run):
        if run.finished_at is None:
            return "running"
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"

    @admin.display(description="virtual keys")
    def per_key(self, run):
        head = format_html_join("", "<th>{}</th>", ((c,) for c in RUN_COLUMNS))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["slug"], r["provider"], r["added"], r["updated"], r["removed"], r["unchanged"])
                + (r["error"],)
                for r in run.results
            ),
        )
        return format_html("<table><tr>{}</tr>{}</table>", head, rows)


def _values_table(values: dict):
    if not values:
        return "-"
    items = ((name, values[name]) for name in METADATA_FIELDS if name in values)
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td></tr>",
        ((name, ", ".join(v) if isinstance(v, list) else v) for name, v in items),
    )
    return format_html("<table>{}</table>", rows)
