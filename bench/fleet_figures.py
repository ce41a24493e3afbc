#!/usr/bin/env python
"""Figures of a fleet under faults and of a Redis failover (the long forms of tests/project/fleet).

    .venv/bin/python bench/fleet_figures.py [--fault-seconds 20] [--rounds 3] [--only fleet,failover] [--json]

``fleet``: three API hosts (``make serve``'s granian, two workers each), one Redis and the provider, each in a
network namespace of its own (root needed), through four faults of ``--fault-seconds`` each with requests flowing
to every host: a host cut off from the provider, one cut off from Redis, a partition that heals, a key rotation
while a host cannot reach the provider. ``failover``: the API over a Redis primary, two replicas and three
sentinels, the primary SIGKILLed ``--rounds`` times while Bearer and DPoP requests flow, every proof accepted
just before each kill sent again after it. Printed per fault: valid requests lost, forged accepted, 5xx, and the
DPoP replays accepted. Every process and namespace it makes is removed when it ends. `make bench-full` runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repository importable; bench/'s modules never shadow the standard library

from tests.project.fleet import failover, soak  # noqa: E402
from tests.support import netns  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault-seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2, help="failovers (primary SIGKILLed; at most 2)")
    parser.add_argument("--only", default="fleet,failover")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="fleet-figures-") as tmp:
        if "fleet" in parts:
            reason = netns.unavailable_reason()
            if reason is not None:
                results["fleet"] = {"skipped": reason}
            else:
                results["fleet"] = soak.soak(Path(tmp) / "fleet", fault_seconds=args.fault_seconds, workers=2)
            if not args.json:
                print("## fleet: three hosts in network namespaces, four faults")
                print(soak.format_figures(results["fleet"]) if "skipped" not in results["fleet"] else results["fleet"])
        if "failover" in parts:
            results["failover"] = failover.soak(Path(tmp) / "failover", rounds=args.rounds, repeats=50)
            if not args.json:
                print("## failover: Redis primary SIGKILLed under Sentinel")
                for key, value in results["failover"].items():
                    print(f"  {key:<26} {value}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
