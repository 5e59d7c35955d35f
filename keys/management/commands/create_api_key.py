"""Create a gateway API key and print it once."""

from argparse import ArgumentTypeError

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from keys.audit import command_record
from keys.services import api_key_create, error_text


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)


class Command(BaseCommand):
    help = (
        "Create a gateway API key. The raw key is printed alone on the last line of stdout "
        "and is never shown again. Without --all or --virtual-key the key may use no "
        "virtual key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="A label for the key's owner or use.")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--all", action="store_true", help="Allow every virtual key, including future ones."
        )
        scope.add_argument(
            "--virtual-key",
            dest="virtual_keys",
            action="extend",
            nargs="+",
            default=[],
            metavar="SLUG",
            help="Allow these virtual keys (repeatable).",
        )
        parser.add_argument(
            "--models",
            action="extend",
            nargs="+",
            default=[],
            metavar="PATTERN",
            help='Only model ids matching these shell-style patterns, e.g. "gpt-4o*".',
        )
        parser.add_argument(
            "--expires-in", type=_positive_int, metavar="DAYS", help="Expire after DAYS days."
        )
        parser.add_argument(
            "--rate-limit", type=_positive_int, metavar="N", help="At most N requests per minute."
        )

    def handle(self, *args, **options):
        try:
            api_key, raw = api_key_create(
                name=options["name"],
                all_virtual_keys=options["all"],
                virtual_key_slugs=options["virtual_keys"],
                model_patterns=options["models"],
                expires_in_days=options["expires_in"],
                rate_limit_per_minute=options["rate_limit"],
            )
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from None
        if not api_key.all_virtual_keys and not options["virtual_keys"]:
            self.stderr.write(
                self.style.WARNING(
                    "Warning: this key may use no virtual key (empty scope). "
                    "Pass --all or --virtual-key SLUG, or edit its scope in the admin."
                )
            )
        expiry = api_key.expires_at.isoformat() if api_key.expires_at else "never"
        command_record([api_key], added=True, message="Created with create_api_key.")
        self.stdout.write(
            self.style.SUCCESS(f"Created API key {api_key.name!r} ({api_key.prefix}…)")
        )
        self.stdout.write(f"Expires: {expiry}. Store the key now: it will not be shown again.")
        self.stdout.write(raw)
