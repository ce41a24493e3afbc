"""Poll the Shared Signals transmitters that have a POLL_URL (RFC 8936), once or every few seconds."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwks_auth.exceptions import ConfigurationError
from jwks_auth.ssf.poll import poll_transmitters
from jwks_auth.ssf.receiver import get_receiver

#: The longest pause between runs (a day): what time.sleep accepts, and more than any poll schedule needs.
MAX_EVERY = 86400.0


class Command(BaseCommand):
    help = "Poll every Shared Signals transmitter with a POLL_URL for SETs, process and acknowledge them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0.0, metavar="SECONDS", help="Poll again every SECONDS.")
        parser.add_argument(
            "--runs", type=int, default=0, metavar="N", help="With --every: stop after N runs (0: until stopped)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every, runs = options["every"], options["runs"]
        if not 0 <= every <= MAX_EVERY or runs < 0:
            raise CommandError(f"--every must be 0 to {MAX_EVERY} seconds, --runs 0 or more.")
        try:
            receiver = get_receiver()
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        if receiver is None:
            raise CommandError("JWKS_AUTH['SHARED_SIGNALS']['TRANSMITTERS'] is empty: nothing to poll.")
        done = 0
        while True:
            for result in poll_transmitters(receiver):
                self.stdout.write(
                    f"{result.issuer}: {result.processed} processed, {result.acknowledged} acknowledged, "
                    f"{result.refused} refused, {result.deferred} deferred, {result.requests} request(s)"
                    + (" (poll failed)" if result.failed else "")
                )
            done += 1
            if not every or (runs and done >= runs):
                return
            time.sleep(every)
