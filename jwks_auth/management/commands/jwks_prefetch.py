"""Fetch every configured issuer's keys now and store them in the cache."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwks_auth.exceptions import FetchError
from jwks_auth.keys.store import KeyStore
from jwks_auth.management.commands._stores import add_issuer_argument, selected_stores

#: Pauses between attempts under ``--wait``, doubling up to the last one.
FIRST_PAUSE, MAX_PAUSE = 0.5, 5.0


class Command(BaseCommand):
    help = "Fetch the JWKS of every configured issuer into the cache (for deploy steps)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_issuer_argument(parser)
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Retry the issuers that failed until their keys are cached or SECONDS have passed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wait = options["wait"]
        if not wait >= 0:  # also refuses NaN
            raise CommandError("--wait must be a number of seconds, 0 or more.")
        deadline = time.monotonic() + wait
        pending = selected_stores(options["issuer"])
        pause = FIRST_PAUSE
        while True:
            pending = [store for store in pending if not self._prefetch(store)]
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                break
            self.stderr.write(f"Retrying {len(pending)} issuer(s) in {min(pause, remaining):.1f} s")
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, MAX_PAUSE)
        if pending:
            raise CommandError(f"Could not fetch keys for: {', '.join(store.config.issuer for store in pending)}")

    def _prefetch(self, store: KeyStore) -> bool:
        try:
            snapshot = store.refresh()
        except FetchError as exc:
            self.stderr.write(f"{store.config.issuer}: {exc}")
            return False
        kids = ", ".join(key.kid for key in snapshot.keyset.keys)
        ttl = snapshot.soft_expiry - snapshot.fetched_at
        self.stdout.write(
            f"{store.config.issuer}: cached {len(snapshot.keyset)} key(s) from {snapshot.uri} for {ttl:.0f} s: {kids}"
        )
        for kid, reason in snapshot.keyset.rejected:
            self.stdout.write(f"  skipped {kid}: {reason}")
        return True
