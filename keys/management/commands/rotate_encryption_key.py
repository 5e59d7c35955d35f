"""Re-encrypt stored provider credentials under the newest encryption key."""

from django.core.management.base import BaseCommand, CommandError

from keys.audit import command_record
from keys.crypto import DecryptionError
from keys.models import VirtualKey
from keys.services import credentials_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every virtual key's credential with the first key in "
        "GATEWAY_ENCRYPTION_KEYS. Rotation: put a new key first, keep the old ones after it, "
        "run this command, then remove the old keys."
    )

    def handle(self, *args, **options):
        try:
            count = credentials_rotate()
        except DecryptionError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        command_record(
            VirtualKey.objects.exclude(credential_encrypted=""),
            added=False,
            message="Credential re-encrypted with rotate_encryption_key.",
        )
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {count} credentials"))
