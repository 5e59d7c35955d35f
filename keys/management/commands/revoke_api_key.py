"""Revoke a gateway API key by its display prefix or exact name."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from keys.audit import command_record
from keys.services import api_key_find_one, api_key_revoke, error_text


class Command(BaseCommand):
    help = (
        "Revoke one active API key, chosen by display prefix (e.g. gwk_AbCdEfGh) or exact "
        "name. It stops working at once. Prints 'revoked <prefix>' last."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="PREFIX_OR_NAME")

    def handle(self, *args, **options):
        try:
            api_key = api_key_find_one(prefix_or_name=options["reference"])
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from None
        api_key_revoke(api_key=api_key)
        command_record([api_key], added=False, message="Revoked with revoke_api_key.")
        self.stdout.write(f"revoked {api_key.prefix}")
