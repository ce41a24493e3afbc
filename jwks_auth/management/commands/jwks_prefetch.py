"""Fetch every configured issuer's keys now and store them in the cache."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwks_auth.exceptions import FetchError
from jwks_auth.management.commands._stores import add_issuer_argument, selected_stores


class Command(BaseCommand):
    help = "Fetch the JWKS of every configured issuer into the cache (for deploy steps)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_issuer_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        failures = []
        for store in selected_stores(options["issuer"]):
            try:
                snapshot = store.refresh()
            except FetchError as exc:
                failures.append(store.config.issuer)
                self.stderr.write(f"{store.config.issuer}: {exc}")
                continue
            kids = ", ".join(key.kid for key in snapshot.keyset.keys)
            ttl = snapshot.soft_expiry - snapshot.fetched_at
            self.stdout.write(
                f"{store.config.issuer}: cached {len(snapshot.keyset)} key(s) from {snapshot.uri} "
                f"for {ttl:.0f} s: {kids}"
            )
            for kid, reason in snapshot.keyset.rejected:
                self.stdout.write(f"  skipped {kid}: {reason}")
        if failures:
            raise CommandError(f"Could not fetch keys for: {', '.join(failures)}")
