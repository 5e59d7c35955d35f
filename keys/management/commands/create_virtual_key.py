"""Store a provider credential as a virtual key, read from the environment or stdin."""

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from keys.audit import command_record
from keys.services import error_text, parse_options, virtual_key_create
from models_api.errors import unknown_provider_message
from models_api.providers import provider_names


class Command(BaseCommand):
    help = (
        "Create a virtual key. The credential is read from the environment variable named by "
        "--credential-env, else from standard input; never from the command line, where it "
        "would land in shell history and the process list. Prints the slug last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--provider", required=True, help="A provider name, e.g. openai.")
        parser.add_argument("--slug", default="", help="Default: derived from --name.")
        parser.add_argument("--base-url", default="", help="Override the provider's base URL.")
        parser.add_argument(
            "--option",
            dest="options",
            action="extend",
            nargs="+",
            default=[],
            metavar="KEY=VALUE",
            help="Provider setting, e.g. aws_region=us-east-1 (repeatable).",
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--credential-env", metavar="VAR", help="Read the credential from this variable."
        )
        source.add_argument(
            "--no-credential",
            action="store_true",
            help="Store no credential (ollama, self-hosted OpenAI-compatible servers).",
        )

    def handle(self, *args, **options):
        if options["provider"] not in provider_names():
            raise CommandError(unknown_provider_message(options["provider"], provider_names()))
        credential = "" if options["no_credential"] else self._credential(options)
        try:
            virtual_key = virtual_key_create(
                name=options["name"],
                provider=options["provider"],
                credential=credential,
                base_url=options["base_url"],
                options=parse_options(options["options"]),
                slug=options["slug"],
            )
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from None
        command_record([virtual_key], added=True, message="Created with create_virtual_key.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created virtual key {virtual_key.name!r} for {virtual_key.provider} "
                f"(credential {virtual_key.masked_credential or 'none'})"
            )
        )
        self.stdout.write(virtual_key.slug)

    def _credential(self, options) -> str:
        variable = options["credential_env"]
        if variable:
            credential = os.environ.get(variable, "").strip()
            if not credential:
                raise CommandError(
                    f"Environment variable {variable} is empty or not set; export the "
                    "credential in it, or pass --no-credential for a provider that needs none."
                )
            return credential
        if sys.stdin.isatty():
            credential = getpass.getpass("Provider credential (not echoed): ")
        else:
            credential = sys.stdin.read()
        credential = credential.strip()
        if not credential:
            raise CommandError(
                "No credential on standard input; pipe it in, use --credential-env VAR, "
                "or pass --no-credential for a provider that needs none."
            )
        return credential
