#!/usr/bin/env python
"""Benchmark the JWKS-protected API: `make bench` (every target, under 10 minutes), `make bench-full`
(also the production-server sweep, the growth cases, Redis and the Django peers over HTTP) or `make bench-smoke`.

    .venv/bin/python bench/run.py [--full | --smoke] [--only validation,http] [--no-peer] [--out FILE]

Prints one summary table and writes BENCHMARKS.md (with --smoke:
bench/out/BENCHMARKS.smoke.md). Every server it starts is stopped on exit.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run from the repository root with it importable, and never let bench/'s own
# modules shadow the standard library.
sys.path[0] = str(ROOT)

from bench import (  # noqa: E402
    async_load,
    django_peers,
    dpop_cost,
    forgery,
    http_load,
    machine,
    metrics_cost,
    report,
    standards_cost,
    validation,
    wrk,
)

SECTIONS = ("validation", "metrics", "dpop", "standards", "http", "async", "peers")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny iteration counts and 1 s wrk runs")
    parser.add_argument(
        "--full",
        action="store_true",
        help="also the long phases: the production-server sweep, token growth cases, Redis, the Django peers "
        "timed in process and over HTTP (make bench-full)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated sections: " + ", ".join(SECTIONS),
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the Node peer")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        metavar="SECONDS",
        help="before each part and each round of wrk runs, wait up to this long for other work on "
        "the machine to calm down (default 0 with --smoke, else 60)",
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds of wrk runs per phase (default 1 with --smoke, else 2 and 3)"
    )
    parser.add_argument("--seconds", type=int, help="seconds per wrk run (default 1 with --smoke, else 10)")
    parser.add_argument(
        "--no-readme",
        dest="update_readme",
        action="store_false",
        help="do not rewrite README.md's Performance figures after a full run",
    )
    parser.add_argument(
        "--out", type=Path, help="report path (default BENCHMARKS.md, or bench/out/BENCHMARKS.smoke.md)"
    )
    args = parser.parse_args(argv)
    args.sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = args.sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.wait_quiet is None:
        args.wait_quiet = 0.0 if args.smoke else 60.0
    if args.full and args.smoke:
        parser.error("--full and --smoke exclude each other")
    if args.out is None:
        args.out = ROOT / ("bench/out/BENCHMARKS.smoke.md" if args.smoke else "BENCHMARKS.md")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settle(args: argparse.Namespace) -> str:
    """Wait for other work on the machine to calm down; a note on how busy it was."""
    return machine.wait_until_quiet(args.wait_quiet, log=log)


def wrk_loads(args: argparse.Namespace) -> tuple[wrk.WrkLoad, wrk.WrkLoad]:
    """The measured load and the warm-up load of every HTTP run."""
    # make bench: 5 s runs, so that every target fits in 10 minutes; make bench-full: 10 s.
    seconds = args.seconds or (1 if args.smoke else (10 if args.full else 5))
    load = wrk.WrkLoad(threads=2, connections=32, seconds=seconds)
    return load, wrk.WrkLoad(threads=2, connections=32, seconds=1 if args.smoke else 2)


@contextmanager
def bench_issuer(kid: str) -> Iterator[tuple[Any, Any, str]]:
    """A JWKSProvider on loopback serving one RSA key, the key, and an access token it signed."""
    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    provider = JWKSProvider()
    try:
        key = SigningKey.rsa(kid=kid)
        provider.set_keys(key)
        yield provider, key, mint(key, access_claims(provider.issuer, audience="api1", lifetime=3600))
    finally:
        provider.stop()


def run_http(args: argparse.Namespace, log_dir: Path) -> http_load.HttpResults:
    load, warmup = wrk_loads(args)
    with bench_issuer("bench-http") as (provider, key, token):
        forged = forgery.forged_tokens(key, provider.issuer, 200 if args.smoke else 2000)
        return http_load.run(
            provider.issuer,
            provider.jwks_uri,
            lambda: provider.jwks_hits,
            token,
            forged,
            load,
            warmup,
            log_dir,
            with_peer=not args.no_peer,
            peer_install_timeout=90 if args.smoke else 300,
            sweep_rounds=(args.rounds or 2) if args.full else 0,
            with_redis=args.full or args.smoke,
            compare_rounds=args.rounds or (1 if args.smoke else 3),
            settle=lambda: settle(args),
            log=log,
        )


def run_async(args: argparse.Namespace, log_dir: Path, result: report.Report) -> async_load.AsyncResults:
    load, warmup = wrk_loads(args)
    with bench_issuer("bench-async") as (provider, _key, token):
        return async_load.run(
            provider.issuer,
            provider.jwks_uri,
            token,
            load,
            warmup,
            log_dir,
            args.rounds or (1 if args.smoke else 3),
            lambda: settle(args),
            result.async_background,
            log,
        )


def run_peers(args: argparse.Namespace, log_dir: Path, result: report.Report) -> django_peers.PeersResults:
    log("  peers' virtualenv (bench/out/peers-venv) ...")
    skipped = django_peers.ensure_venv()
    if skipped is not None:
        log(f"  Django peers skipped: {skipped}")
        return django_peers.PeersResults([], [], skipped)
    measured = []
    if args.full or args.smoke:
        result.background.append("peers, in process: " + settle(args))
        with machine.OtherWork() as other:
            measured = django_peers.in_process(args.smoke, rounds=1 if args.smoke else 2, log=log)
        result.other_work.append(("Django peers in process", other.share))
    # Counted, not timed: other load does not move these, so no quiet machine is waited for.
    counts, counts_skipped = django_peers.counted(args.smoke, log, requests=None if args.full else 100)
    if counts_skipped:
        log(f"  instruction counts skipped: {counts_skipped}")
    if not (args.full or args.smoke):
        return django_peers.PeersResults(measured, [], counted=counts, counted_skipped=counts_skipped)
    load, warmup = wrk_loads(args)
    with bench_issuer("bench-peers") as (provider, _key, token):
        runs = django_peers.over_http(
            provider.issuer,
            provider.jwks_uri,
            token,
            load,
            warmup,
            log_dir,
            args.rounds or (1 if args.smoke else 3),
            lambda: settle(args),
            result.peers_background,
            log,
        )
    return django_peers.PeersResults(measured, runs, counted=counts, counted_skipped=counts_skipped)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    invocation = shlex.join([".venv/bin/python", "bench/run.py", *argv])
    result = report.Report(machine=machine.collect(), invocation=invocation, smoke=args.smoke)
    result.load_start = machine.load_average()
    result.code_start = machine.code_version(str(ROOT))
    log_dir = ROOT / "bench" / "out" / ("logs-smoke" if args.smoke else "logs")
    if "validation" in args.sections:
        log("in-process validation:")
        result.background.append("in-process part: " + settle(args))
        result.max_token_length = validation.max_token_length()
        with machine.OtherWork() as other:
            result.validation = validation.run_all(
                args.smoke, rounds=1 if args.smoke else 2, log=log, growth=args.full or args.smoke
            )
        result.other_work.append(("in-process validation", other.share))
        log("  WSGI handler in-process ...")
        with machine.OtherWork() as other:
            result.wsgi = validation.run_wsgi(args.smoke)
        result.other_work.append(("in-process WSGI", other.share))
    if "metrics" in args.sections:
        log("metrics cost per request:")
        result.background.append("metrics part: " + settle(args))
        with machine.OtherWork() as other:
            result.metrics = metrics_cost.run_all(args.smoke, rounds=3 if args.full else 1, log=log)
        result.other_work.append(("metrics cost", other.share))
    if "dpop" in args.sections:
        log("DPoP request against Bearer, in process:")
        result.background.append("DPoP part: " + settle(args))
        with machine.OtherWork() as other:
            result.dpop = dpop_cost.run_all(args.smoke, rounds=1 if args.smoke else 3, log=log)
        result.other_work.append(("DPoP cost", other.share))
    if "standards" in args.sections:
        log("RFC 9470 step-up at the endpoint, in process:")
        result.background.append("standards part: " + settle(args))
        with machine.OtherWork() as other:
            result.standards = standards_cost.run_all(args.smoke, rounds=1 if args.smoke else 3, log=log)
        result.other_work.append(("standards cost", other.share))
    if "http" in args.sections:
        log("HTTP under wrk:")
        result.http = run_http(args, log_dir)
    if "async" in args.sections:
        log("async views over HTTP, against their own floor:")
        result.async_http = run_async(args, log_dir, result)
    if "peers" in args.sections:
        log("Django peers in one minimal stack:")
        result.peers = run_peers(args, log_dir, result)
    result.elapsed_s = time.monotonic() - started
    result.load_end = machine.load_average()
    result.code_end = machine.code_version(str(ROOT))
    print(report.text_table(result.rows()))
    report.write(result, args.out)
    log(f"wrote {args.out} in {result.elapsed_s:.0f} s")
    # The README quotes only a full run's figures, and only when the whole run was taken.
    snippet = ROOT / "bench" / "out" / ("README.performance.smoke.md" if args.smoke else "README.performance.md")
    snippet.parent.mkdir(parents=True, exist_ok=True)
    snippet.write_text(report.readme_snippet(result) + "\n", encoding="utf-8")
    if not args.smoke and args.sections == set(SECTIONS) and args.update_readme:
        if report.update_readme(result, ROOT / "README.md"):
            log("updated README.md's Performance figures")
        else:
            log("README.md has no bench:performance markers; figures left in " + str(snippet))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt as exc:  # servers were already stopped by their context managers
        log(f"interrupted ({exc or 'SIGINT'}); every server started was stopped")
        sys.exit(130)
