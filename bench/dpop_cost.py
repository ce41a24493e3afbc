"""The per-request cost of DPoP against Bearer, through the front door: bench/dpop_worker.py in a fresh interpreter."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import run_worker

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class DPoPMeasured:
    bearer_us: float
    dpop_us: float
    es256_verify_us: float
    number: int
    repeats: int
    command: str
    eddsa_us: float | None = None  # the same request with an Ed25519 client key (EdDSA proof)
    eddsa_verify_us: float | None = None
    #: An ES256 request's parts timed alone (bench/dpop_worker.py PARTS): request, proof, replay.
    parts_us: dict[str, float] | None = None
    #: Each round's request / bare verification ratio, by algorithm (both from that round).
    round_ratios: dict[str, list[float]] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        """This round's request / bare verification ratio, by algorithm."""
        found = {"ES256": self.dpop_us / self.es256_verify_us}
        if self.eddsa_us is not None and self.eddsa_verify_us:
            found["EdDSA"] = self.eddsa_us / self.eddsa_verify_us
        return found

    @property
    def cost_us(self) -> float:
        return self.dpop_us - self.bearer_us


def run_once(smoke: bool, timeout: float = 300) -> DPoPMeasured:
    # Every proof is signed before timing and must still be inside its 60 s iat window when used: 1000 per
    # repeat for each of the two algorithms keeps the whole run inside it, even on a busy machine.
    spec = {"number": 200, "repeats": 2} if smoke else {"number": 1000, "repeats": 10}
    argv = [sys.executable, "-m", "bench.dpop_worker", json.dumps(spec, separators=(",", ":"))]
    data = run_worker(argv, "DPoP case", timeout)
    return DPoPMeasured(
        data["bearer_us"],
        data["dpop_us"],
        data["es256_verify_us"],
        spec["number"],
        spec["repeats"],
        shlex.join([".venv/bin/python", *argv[1:]]),
        data.get("eddsa_us"),
        data.get("eddsa_verify_us"),
        data.get("parts_us"),
    )


def run_all(smoke: bool, rounds: int, log=print) -> DPoPMeasured:
    """`rounds` runs, keeping the least disturbed one (lowest DPoP figure)."""
    best: DPoPMeasured | None = None
    spread: dict[str, list[float]] = {}
    for round_no in range(rounds):
        log(f"  DPoP against Bearer (round {round_no + 1}/{rounds}) ...")
        measured = run_once(smoke)
        for alg, ratio in measured.ratios().items():
            spread.setdefault(alg, []).append(ratio)
        if best is None or measured.dpop_us < best.dpop_us:
            best = measured
    assert best is not None
    best.round_ratios = spread
    return best
