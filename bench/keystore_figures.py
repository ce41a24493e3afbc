#!/usr/bin/env python
"""Figures of the key store across worker processes sharing one Redis.

    .venv/bin/python bench/keystore_figures.py [--only cold_start,rotation,...] [--json]

Runs the same scenarios as tests/keys/test_multiprocess.py (gunicorn
``config.wsgi:application`` with 4 sync workers over a real redis-server on a
free port, the JWKS from a JWKSProvider in this process, short timings via
JWKS_AUTH_OVERRIDES) and prints what happened: JWKS fetches counted at the
provider, requests and failed requests counted at the client, durations.
Every process it starts is stopped when it ends. Takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repository importable; bench/'s modules never shadow the standard library

from tests.keys import scenarios  # noqa: E402

EXPLAIN = {
    "cold_start": "all workers cold, concurrent requests released together; the provider answers in 0.5 s",
    "rotation": "a key is published, tokens signed with it hit every worker at once; then the old key is removed",
    "outage": "the provider stops for longer than the soft lifetime; known kids served until the hard limit",
    "kid_flood": "1,000 tokens with random kids over ~6 s mixed with valid tokens",
    "redis_down": "Redis stopped under load for ~5 s, one worker started meanwhile, then Redis restarted",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(scenarios.SCENARIOS), help="comma-separated scenario names")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(scenarios.SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(scenarios.SCENARIOS)}")

    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="keystore-figures-") as tmp:
        for name in names:
            t0 = time.monotonic()
            figures = scenarios.SCENARIOS[name](Path(tmp) / name)
            figures["wall_s"] = round(time.monotonic() - t0, 1)
            results.append(figures)
            if not args.json:
                print(f"\n## {figures['scenario']} ({EXPLAIN[name]})")
                for key, value in figures.items():
                    if key != "scenario":
                        print(f"  {key:<44} {value}")
                sys.stdout.flush()
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "total_wall_s": round(time.monotonic() - started, 1),
        "timings": scenarios.BASE_OVERRIDES,
        "workers": scenarios.WORKERS,
    }
    if args.json:
        print(json.dumps({"meta": meta, "scenarios": results}, indent=2))
    else:
        print(f"\n{meta}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
