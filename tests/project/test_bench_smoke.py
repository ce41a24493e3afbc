"""The in-process part of `make bench-smoke` runs and reports every row.

Never asserts on timings: only that the benchmark runs end to end against
the real validator and writes the table it promises.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_ROWS = [
    "(a) raw jwt.decode",
    "(b) bare RSA-2048 PKCS#1 v1.5 SHA-256 verify",
    "(c) product, first-seen tokens",
    "(d) product, repeated token",
    "distinct tokens, all seen before",
    "repeated token <= 10 µs",
    "repeated token < 1/3 RSA verify",
    "first-seen token <= raw jwt.decode",
    "base: 1 key, 1 issuer",
    "10 keys in the JWKS",
    "100 keys in the JWKS",
    "(1024 B pad)",
    "(4096 B pad)",
    "just under MAX_TOKEN_LENGTH",
    "10 configured issuers",
    "100 configured issuers",
    "in-process WSGI",
    "GET /me (repeated token)",
    "one process: metrics on / off",
    "multiprocess: metrics on / off",
    "metrics cost, multiprocess, < 2 µs",
]


@pytest.mark.slow
def test_bench_smoke_validation_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.smoke.md"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--only", "validation,metrics", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    for row in EXPECTED_ROWS:
        assert row in proc.stdout, f"{row!r} missing from the printed table"
        assert row in report, f"{row!r} missing from {out.name}"
    assert "## Machine" in report and "## Commands" in report
    assert "python -m bench.validation_worker" in report
    assert "PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python -m bench.metrics_worker" in report
    # Every target row says met or MISSED (which one is not the test's business).
    target_lines = [line for line in report.splitlines() if line.startswith("| targets")]
    assert len(target_lines) == 5
    assert all(("| met |" in line) or ("| MISSED |" in line) for line in target_lines)
