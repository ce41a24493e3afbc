"""The per-request cost of Prometheus metrics: bench/metrics_worker.py in both prometheus-client modes."""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.procs import WORKER_ENV_DROPPED, run_worker

ROOT = Path(__file__).resolve().parent.parent
#: Target of issue "Operations": metrics cost under 2 µs per request.
MAX_METRICS_US = 2.0


@dataclass
class MetricsMeasured:
    mode: str  # "one process" or "multiprocess"
    on_us: float
    off_us: float
    number: int
    repeats: int
    command: str

    @property
    def cost_us(self) -> float:
        return self.on_us - self.off_us


def run_mode(multiprocess: bool, smoke: bool, timeout: float = 300) -> MetricsMeasured:
    spec = {"number": 500, "repeats": 2} if smoke else {"number": 20000, "repeats": 15}
    argv = [sys.executable, "-m", "bench.metrics_worker", json.dumps(spec, separators=(",", ":"))]
    shown = shlex.join([".venv/bin/python", *argv[1:]])
    dropped = (*WORKER_ENV_DROPPED, "PROMETHEUS_MULTIPROC_DIR")
    with tempfile.TemporaryDirectory(prefix="jwks-bench-metrics-") as directory:
        env = {"PROMETHEUS_MULTIPROC_DIR": directory} if multiprocess else {}
        if multiprocess:
            shown = f"PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) {shown}"
        data = run_worker(argv, "metrics case", timeout, dropped=dropped, env=env)
    mode = "multiprocess" if data["multiprocess"] else "one process"
    return MetricsMeasured(mode, data["metrics_on_us"], data["metrics_off_us"], spec["number"], spec["repeats"], shown)


def run_all(smoke: bool, rounds: int, log=print) -> list[MetricsMeasured]:
    """Both modes, `rounds` times in turn, keeping each mode's least disturbed run (lowest cost)."""
    best: dict[bool, MetricsMeasured] = {}
    for round_no in range(rounds):
        for multiprocess in (False, True):
            log(
                f"  metrics cost, {'multiprocess' if multiprocess else 'one process'} "
                f"(round {round_no + 1}/{rounds}) ..."
            )
            measured = run_mode(multiprocess, smoke)
            if multiprocess not in best or measured.cost_us < best[multiprocess].cost_us:
                best[multiprocess] = measured
    return [best[False], best[True]]
