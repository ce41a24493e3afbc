"""The per-request cost of the newer standards (RFC 9470, RFC 9396) at the endpoint: bench/standards_worker.py."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.procs import run_worker

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class StandardsMeasured:
    scopes_us: float
    step_up_us: float
    details_us: float
    number: int
    repeats: int
    command: str

    @property
    def step_up_cost_us(self) -> float:
        return self.step_up_us - self.scopes_us

    @property
    def details_cost_us(self) -> float:
        return self.details_us - self.scopes_us


def run_once(smoke: bool, timeout: float = 300) -> StandardsMeasured:
    spec = {"number": 300, "repeats": 2} if smoke else {"number": 5000, "repeats": 10}
    argv = [sys.executable, "-m", "bench.standards_worker", json.dumps(spec, separators=(",", ":"))]
    data = run_worker(argv, "standards case", timeout)
    command = shlex.join([".venv/bin/python", *argv[1:]])
    return StandardsMeasured(
        data["scopes_us"], data["step_up_us"], data["details_us"], spec["number"], spec["repeats"], command
    )


def run_all(smoke: bool, rounds: int, log=print) -> StandardsMeasured:
    """`rounds` runs, keeping the least disturbed one (lowest step-up figure)."""
    best: StandardsMeasured | None = None
    for round_no in range(rounds):
        log(f"  step-up against scopes alone (round {round_no + 1}/{rounds}) ...")
        measured = run_once(smoke)
        if best is None or measured.step_up_us < best.step_up_us:
            best = measured
    assert best is not None
    return best
