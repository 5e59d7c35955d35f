"""Pull every active virtual key's model list into the local catalog."""

from django.core.management.base import BaseCommand, CommandError

from keys.models import VirtualKey
from models_api.catalog.sync import KeyResult, catalog_sync
from models_api.errors import unknown_provider_message
from models_api.providers import provider_names

COLUMNS = ("virtual key", "provider", "added", "updated", "removed", "unchanged", "status")


class Command(BaseCommand):
    help = (
        "Sync the model catalog from the active virtual keys' providers. Exits non-zero when "
        "any key failed; a failed or refused key keeps its previous entries."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--virtual-key",
            action="append",
            dest="slugs",
            metavar="SLUG",
            help="Sync only this virtual key (repeatable).",
        )
        parser.add_argument("--provider", help="Sync only the virtual keys of this provider.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Apply a list that drops more than half of a key's models.",
        )

    def handle(self, *args, slugs=None, provider=None, dry_run=False, force=False, **options):
        if provider and provider not in provider_names():
            raise CommandError(unknown_provider_message(provider, provider_names()))
        virtual_keys = _virtual_keys(slugs) if slugs else None
        if dry_run:
            self.stdout.write("Dry run: nothing will be written.")
        run = catalog_sync(
            virtual_keys=virtual_keys,
            provider=provider,
            dry_run=dry_run,
            force=force,
            progress=self._progress,
        )
        if not run.results:
            self.stdout.write("No active virtual keys to sync.")
            return
        self._summary(run.results)
        totals = f"+{run.added} ~{run.updated} -{run.removed} ={run.unchanged}"
        if run.keys_failed:
            raise CommandError(
                f"{run.keys_failed} of {run.keys_total} virtual keys failed (sync run {run.pk}, "
                f"{totals}); their catalog entries were left as they were."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Synced {run.keys_total} virtual keys: {totals} (run {run.pk}).")
        )

    def _progress(self, result: KeyResult):
        counts = f"+{result.added} ~{result.updated} -{result.removed} ={result.unchanged}"
        if result.ok:
            self.stdout.write(f"{result.slug}: {counts}")
        else:
            self.stdout.write(self.style.ERROR(f"{result.slug}: FAILED {result.error}"))

    def _summary(self, results: list[dict]):
        rows = [
            [
                r["slug"],
                r["provider"],
                *(str(r[c]) for c in ("added", "updated", "removed", "unchanged")),
                "failed" if r["error"] else "ok",
            ]
            for r in results
        ]
        widths = [max(len(row[i]) for row in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
        self.stdout.write("")
        for row in [list(COLUMNS), *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )


def _virtual_keys(slugs: list[str]) -> list[VirtualKey]:
    found = {vk.slug: vk for vk in VirtualKey.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise CommandError(f"Unknown virtual key: {', '.join(unknown)}.")
    inactive = [slug for slug in slugs if not found[slug].is_active]
    if inactive:
        raise CommandError(f"Virtual key is inactive: {', '.join(inactive)}; activate it first.")
    return list(found.values())
