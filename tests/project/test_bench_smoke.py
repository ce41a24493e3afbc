"""The in-process part of `make bench-smoke` runs and reports every row.

Never asserts on timings: only that the benchmark runs end to end against
the real validator and writes the table it promises.
"""

from __future__ import annotations

import json
import shutil
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
    "DPoP cost (µs/request through the front door",
    "Bearer, unbound token",
    "DPoP, bound token, a fresh ES256 proof each request",
    "of which a bare ES256 verify",
    "GET /me, first-seen valid token",
    "GET /me, forged token (401)",
    "refusing a forged token <= verifying a valid one (in process)",
    "other work during measurements, peak",
]

# make bench (and its smoke form): the production-server sweep (phase 1) is make bench-full's.
HTTP_ROWS = [
    "HTTP product: make serve (scripts/serve.sh)",
    "HTTP floor: ",
    "forged-token flood (make serve, half the connections forged)",
    "valid GET /me under the flood",
    "control: valid GET /me on both halves (the same two wrk processes)",
    "/me >= 2 x Node peer /me (one process)",
    "/me >= 1 x Node peer /me (cluster mode)",
    "valid /me under 50% forged flood >= 0.5 x unflooded",
]

PEER_ROWS = [
    "Django peers, one minimal Django + DRF stack, in process",
    "GET /me: jwks_auth (this project)",
    "GET /me: djangorestframework-simplejwt 5.5.1, JWK_URL",
    "GET /me: hand-written DRF class over PyJWT 2.15.1 PyJWKClient",
    "GET /me: drf-oidc-auth 4.0.0",
    "GET /me: floor: a dict from token to verdict before PyJWKClient",
    "Django peers over HTTP (granian WSGI, one worker per core)",
    "Django peers, instructions per request (callgrind, in process)",
]


@pytest.mark.slow
def test_bench_smoke_validation_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.smoke.md"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--only", "validation,metrics,dpop,standards", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    for row in EXPECTED_ROWS:
        assert row in proc.stdout, f"{row!r} missing from the printed table"
        assert row in report, f"{row!r} missing from {out.name}"
    assert "## Machine" in report and "## Commands" in report
    assert "python -m bench.validation_worker" in report
    assert "PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python -m bench.metrics_worker" in report
    assert ".venv/bin/python -m bench.dpop_worker" in report
    assert ".venv/bin/python -m bench.standards_worker" in report
    assert "RFC 9470 step-up: acr (one of 2) and max_age" in report
    # Every target row says met or MISSED (which one is not the test's business).
    target_lines = [line for line in report.splitlines() if line.startswith("| targets")]
    # The target rows of the validation, metrics, DPoP (ES256 and EdDSA) and standards sections.
    assert len(target_lines) == 9
    assert all(("| met |" in line) or ("| MISSED |" in line) for line in target_lines)
    run_line = next(line for line in report.splitlines() if line.startswith("| run |"))
    assert ("| comparable |" in run_line) or ("| NOT COMPARABLE |" in run_line)


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (scripts/install-system-deps.sh wrk)")
def test_bench_smoke_http_and_peers_write_their_rows(tmp_path: Path) -> None:
    """Every server, the Node peers, the flood and the Django peers run and report; no figure is judged here."""
    out = tmp_path / "BENCHMARKS.smoke.md"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--only", "http,peers", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    peers_ran = "Django peers skipped" not in proc.stderr
    for row in HTTP_ROWS + (PEER_ROWS if peers_ran else []):
        assert row in proc.stdout, f"{row!r} missing from the printed table"
        assert row in report, f"{row!r} missing from {out.name}"
    assert "scripts/serve.sh" in report and "forged-tokens.lua" in report and "valid-tokens.lua" in report
    assert "NOT COMPARABLE" not in report.split("## Django peers")[-1]  # every peer answered its /me with 2xx
    if peers_ran and shutil.which("valgrind"):  # make test installs it (scripts/install-system-deps.sh)
        assert "jwks_auth /me - / beyond the floor's" in report and "--toggle-collect=math_fsum" in report
    target_lines = [line for line in report.splitlines() if line.startswith("| targets")]
    assert target_lines and all(any(f"| {s} |" in line for s in ("met", "MISSED", "not run")) for line in target_lines)
    snippet = (ROOT / "bench" / "out" / "README.performance.smoke.md").read_text(encoding="utf-8")
    assert snippet.startswith("<!-- bench:performance:start -->") and "/me >= 2 x Node peer /me" in snippet


def test_per_round_ratios_pair_the_same_round_of_each_side() -> None:
    """The target rows' per-round figures divide round i by round i, not best by best."""
    from bench.http_load import ServerRun, paired_ratios
    from bench.report import _per_round

    serve = ServerRun("product", "make serve", "LocMem", "", rounds={"/": [100.0, 200.0, 50.0], "/me": [90.0, 150.0]})
    node = ServerRun("peer", "node", "-", "", rounds={"/me": [45.0, 0.0, 30.0]})
    assert paired_ratios(serve, "/me", serve, "/") == [0.9, 0.75]  # the third round of /me never ran
    assert paired_ratios(serve, "/me", node, "/me") == [2.0]  # a round with no throughput is left out
    assert _per_round([0.9, 0.75]) == " (per round 0.90, 0.75)"
    assert _per_round([2.0]) == ""  # one round says nothing the best-of figure does not


def test_target_ratios_never_round_onto_the_line() -> None:
    from bench.report import _ratio

    assert _ratio(0.946, 0.95) == "0.946"  # two decimals would say 0.95, which meets the line
    assert _ratio(0.95, 0.95) == "0.95"
    assert _ratio(2.01, 2.0) == "2.01" and _ratio(1.996, 2.0) == "1.996"


def test_the_flood_is_judged_against_its_control() -> None:
    """Valid throughput under the flood over the control's valid throughput on both halves; CPU from each run."""
    from bench.http_load import FloodResult, Halves
    from bench.wrk import WrkResult

    def result(rps: float, requests: int) -> WrkResult:
        return WrkResult("", requests, rps, 1.0, 2.0, 0, 0, "")

    control = Halves(result(3000, 30000), result(2900, 29000), server_cpu_s=17.7)  # 300 µs per valid request
    flooded = Halves(result(2800, 28000), result(2850, 28500), server_cpu_s=17.1)
    flood = FloodResult(flooded, control, forged_tokens=2000, round_ratios=[0.47])
    assert flood.unflooded_rps == 5900 and round(flood.ratio, 3) == round(2800 / 5900, 3)
    assert flood.valid_cpu_us == 300.0
    assert round(flood.forged_cpu_us or 0) == round((17.1e6 - 28000 * 300) / 28500)
    assert flood.fair_share == 300 / (300 + (flood.forged_cpu_us or 0))


@pytest.mark.slow
@pytest.mark.redis
def test_the_standards_and_shared_signals_benches_run_and_report_every_row() -> None:
    """``make bench``'s two stand-alone modules: the standards' cost per request and the SET propagation."""
    standards = subprocess.run(
        [sys.executable, "-m", "bench.standards_profile", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert standards.returncode == 0, standards.stderr[-3000:]
    figures = json.loads(standards.stdout.strip().splitlines()[-1])
    assert set(figures) >= {"bearer", "bearer_actors", "dpop", "dpop_fapi2", "first_seen_act", "introspection_jwt"}
    assert all(isinstance(value, float) and value > 0 for value in figures.values())
    signals = subprocess.run(
        [sys.executable, "-m", "bench.ssf_propagation", "--rounds", "2", "--number", "5000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert signals.returncode == 0, signals.stderr[-3000:]
    report = json.loads(signals.stdout)
    assert report["cost_us"]["on"] > 0 and report["propagation"]["rounds"] == 2
    assert report["propagation"]["max_ms"] >= report["propagation"]["p99_ms"] >= 0
