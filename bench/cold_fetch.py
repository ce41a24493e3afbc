"""The cost of a cold key fetch: jwks_auth's bounded fetch against a plain ``requests.get``, side by side.

    python -m bench.cold_fetch [--rounds 5] [--fetches 100]

Both fetch the same JWKS from one loopback server on a new connection each
time (a cold fetch opens one). jwks_auth's adds the hard deadline (a watchdog
timer and its socket registration, jwks_auth.keys.deadline), the name lookup
in a bounded thread (skipped for an IP literal, as here) and the strict
checks of the answer. Rounds alternate the order; the ratio of the medians is
what to quote, since this machine's load moves both sides alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402

from jwks_auth.keys.http import fetch_json  # noqa: E402
from tests.support.jwks_server import JWKSProvider  # noqa: E402
from tests.support.keys import SigningKey  # noqa: E402


def per_fetch(fetch: object, url: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        fetch(url)  # type: ignore[operator]
    return (time.perf_counter() - started) / count


def plain(url: str) -> None:
    with requests.Session() as session:  # a new connection, as a cold fetch has
        session.get(url, timeout=(2, 4)).json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fetches", type=int, default=100)
    args = parser.parse_args()
    provider = JWKSProvider()
    provider.set_keys(SigningKey.rsa())
    try:
        ours, theirs = [], []
        for index in range(args.rounds):
            pair = [(ours, fetch_json), (theirs, plain)]
            for sink, fetch in pair if index % 2 == 0 else reversed(pair):
                sink.append(per_fetch(fetch, provider.jwks_uri, args.fetches))
    finally:
        provider.stop()
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"jwks_auth fetch_json: {mine * 1e6:.0f} us per cold fetch (median of {args.rounds} rounds)")
    print(f"requests.get:         {base * 1e6:.0f} us per cold fetch")
    rounds = ", ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs, strict=True))
    print(f"ratio: {mine / base:.2f}x; per-round ratios: {rounds}")


if __name__ == "__main__":
    main()
