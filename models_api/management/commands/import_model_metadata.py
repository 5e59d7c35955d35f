"""Merge model metadata from LiteLLM's cost map or OpenRouter's model list into the catalog."""

from django.core.management.base import BaseCommand, CommandError

from models_api.catalog.formats import MetadataFormatError
from models_api.catalog.metadata import metadata_import, metadata_load


class Command(BaseCommand):
    help = (
        "Import per-model metadata (context length, prices, modalities, capabilities) from a "
        "local file or an http(s) URL: LiteLLM's model_prices_and_context_window.json or "
        "OpenRouter's /api/v1/models response. Admin overrides and provider values still win."
    )

    def add_arguments(self, parser):
        parser.add_argument("location", metavar="FILE_OR_URL")

    def handle(self, *args, location, **options):
        try:
            result = metadata_import(data=metadata_load(location=location))
        except MetadataFormatError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.read} models ({result.format}): {result.created} new, "
                f"{result.updated} updated, {result.unchanged} unchanged, {result.skipped} "
                f"skipped; {result.entries_refreshed} catalog entries refreshed."
            )
        )
