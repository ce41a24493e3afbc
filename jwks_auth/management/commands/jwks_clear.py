"""Remove cached keys so that the next request fetches them again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jwks_auth.management.commands._stores import add_issuer_argument, selected_stores


class Command(BaseCommand):
    help = "Remove the cached JWKS (shared cache and this process) of the configured issuers."

    def add_arguments(self, parser: CommandParser) -> None:
        add_issuer_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        for store in selected_stores(options["issuer"]):
            store.clear()
            self.stdout.write(f"{store.config.issuer}: cached keys removed")
