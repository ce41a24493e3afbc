"""HTTP throughput and latency of GET / and GET /me under wrk.

Two phases, each with all of its servers running side by side and the wrk
runs taken in turn (server by server, path by path, for several rounds), so
that other work on a shared machine hits every server alike:

1. sweep: the product under gunicorn in a few worker models (LocMem cache);
2. compare: the best worker model with LocMem and with Redis, the same
   gunicorn setup serving a bare WSGI app (the floor), and the seed's Node
   API as the peer.

Every server fetches keys over HTTP from the same JWKSProvider and gets the
same token. Each (server, path) keeps its best round (highest req/s).
"""
from __future__ import annotations

import json
import os
from contextlib import ExitStack
import resource
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

from bench import machine, servers, wrk
from bench.procs import group_cpu_seconds, http_get
from bench.servers import GunicornSetup, Server

PATHS = ("/", "/me")


@dataclass
class ServerRun:
    """Both endpoints of one server setup under the same wrk load."""

    target: str  # "product" or "peer"
    label: str  # worker model
    cache: str  # "LocMem", "Redis" or "-"
    server_command: str
    results: dict[str, wrk.WrkResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def rps(self, path: str) -> float:
        return self.results[path].rps

    @property
    def clean(self) -> bool:
        return all(r.clean for r in self.results.values())


@dataclass
class HttpResults:
    load: wrk.WrkLoad
    sweep_rounds: int
    compare_rounds: int
    sweep: list[ServerRun]
    recommended: ServerRun  # phase 2's LocMem run of the best worker model
    redis: ServerRun | None
    peer: ServerRun | None
    floor: ServerRun | None
    peer_skipped: str | None
    jwks_fetches: int
    background: list[str] = field(default_factory=list)  # other work before each round


def setups(nproc: int) -> list[GunicornSetup]:
    """Worker models worth trying on `nproc` cores."""
    return [
        GunicornSetup("sync", nproc),
        GunicornSetup("sync", 2 * nproc + 1),
        GunicornSetup("gthread", nproc, 4),
        GunicornSetup("gthread", 2 * nproc, 2),
    ]


def check_endpoints(base_url: str, token: str) -> None:
    """Fail loudly unless / says Hello and /me returns the token's claims."""
    status, body = http_get(base_url + "/")
    if status != 200 or b"Hello" not in body:
        raise RuntimeError(f"GET {base_url}/ answered {status}: {body[:200]!r}")
    status, body = http_get(base_url + "/me", token)
    if status != 200:
        raise RuntimeError(f"GET {base_url}/me answered {status}: {body[:300]!r}")
    claims = json.loads(body)
    if claims.get("sub") != "88421113":
        raise RuntimeError(f"GET {base_url}/me returned unexpected claims: {body[:300]!r}")


def _better(new: wrk.WrkResult, old: wrk.WrkResult | None) -> bool:
    """Clean runs first, then the highest req/s."""
    return old is None or (new.clean, new.rps) > (old.clean, old.rps)


def load_in_turn(
    running: list[tuple[ServerRun, Server]],
    token: str,
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    rounds: int,
    settle: Callable[[], str],
    background: list[str],
    log: Callable[[str], None],
) -> None:
    """Warm every server up, then `rounds` rounds of wrk over every (server, path)."""
    for run, server in running:
        check_endpoints(server.base_url, token)
        for path in PATHS:  # imports, key fetch, caches in every worker
            wrk.run(server.base_url + path, warmup, token if path == "/me" else None)
    for round_no in range(rounds):
        background.append(settle())
        log(f"  round {round_no + 1}/{rounds}: " + ", ".join(f"{r.label} ({r.cache})" for r, _ in running))
        for run, server in running:
            for path in PATHS:
                result = measure(server, path, load, token if path == "/me" else None)
                if _better(result, run.results.get(path)):
                    run.results[path] = result


def measure(server: Server, path: str, load: wrk.WrkLoad, token: str | None) -> wrk.WrkResult:
    """One wrk run, with the server's CPU per request and how busy other work kept the CPUs."""
    cpu = partial(group_cpu_seconds, server.proc.proc.pid)
    busy0, total0 = machine.cpu_ticks()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server0 = cpu()
    result = wrk.run(server.base_url + path, load, token, cpu)
    server_s = cpu() - server0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = machine.cpu_ticks()
    wrk_s = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    all_busy_s = (busy1 - busy0) / machine.CLK_TCK
    all_s = max(1e-9, (total1 - total0) / machine.CLK_TCK)
    other = max(0.0, all_busy_s - server_s - wrk_s) / all_s
    return replace(result, other_busy=other)


def _best(runs: list[ServerRun]) -> ServerRun:
    """Highest /me req/s among runs without errors (all runs if none is clean)."""
    pool = [r for r in runs if r.clean] or runs
    return max(pool, key=lambda r: r.rps("/me"))


def run(
    issuer: str,
    jwks_uri: str,
    jwks_hits: Callable[[], int],
    token: str,
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    log_dir: Path,
    with_peer: bool,
    peer_install_timeout: float,
    sweep_rounds: int,
    compare_rounds: int,
    settle: Callable[[], str] = lambda: "",
    log: Callable[[str], None] = print,
) -> HttpResults:
    """Sweep gunicorn worker models, then compare the best (LocMem, Redis) with the peer.

    `settle()` runs before each round (e.g. waits for other work on the
    machine to calm down) and returns a note for the report.
    """
    var_dir = log_dir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    background: list[str] = []
    candidates = setups(os.cpu_count() or 1)

    log("  phase 1: gunicorn worker models, LocMem")
    sweep: list[ServerRun] = []
    with ExitStack() as stack:
        running = []
        for setup in candidates:
            env = servers.api_env(issuer, jwks_uri, var_dir, None)
            server = stack.enter_context(servers.gunicorn(setup, env, log_dir))
            sweep_run = ServerRun("product", setup.label, "LocMem", server.command_line(servers.API_ENV_KEYS))
            running.append((sweep_run, server))
            sweep.append(sweep_run)
        load_in_turn(running, token, load, warmup, sweep_rounds, settle, background, log)
    best_setup = next(s for s in candidates if s.label == _best(sweep).label)

    skipped: str | None = "not requested" if not with_peer else None
    if with_peer:
        skipped = servers.ensure_peer_installed(peer_install_timeout)
        if skipped is not None:
            log(f"  node peer skipped: {skipped}")

    log(f"  phase 2: {best_setup.label} with LocMem, Redis and a bare WSGI app" + ("" if skipped else "; Node peer"))
    with ExitStack() as stack:
        env = servers.api_env(issuer, jwks_uri, var_dir, None)
        server = stack.enter_context(servers.gunicorn(best_setup, env, log_dir))
        locmem = ServerRun("product", best_setup.label, "LocMem", server.command_line(servers.API_ENV_KEYS))
        running = [(locmem, server)]

        redis_url = stack.enter_context(servers.redis(log_dir))
        env = servers.api_env(issuer, jwks_uri, var_dir, redis_url)
        server = stack.enter_context(servers.gunicorn(best_setup, env, log_dir))
        redis_run = ServerRun("product", best_setup.label, "Redis", server.command_line(servers.API_ENV_KEYS))
        running.append((redis_run, server))

        server = stack.enter_context(servers.gunicorn(best_setup, dict(os.environ), log_dir, servers.FLOOR_APP))
        floor = ServerRun("floor", best_setup.label, "-", server.command_line(()))
        running.append((floor, server))

        peer_run: ServerRun | None = None
        if skipped is None:
            server = stack.enter_context(servers.node_peer(issuer, jwks_uri, log_dir))
            peer_run = ServerRun("peer", "node, 1 process", "-", server.command_line(servers.PEER_ENV_KEYS))
            running.append((peer_run, server))
        load_in_turn(running, token, load, warmup, compare_rounds, settle, background, log)
        redis_run.notes.append(f"Redis keys after the run: {_redis_keys(redis_url)}")
    return HttpResults(
        load, sweep_rounds, compare_rounds, sweep, locmem, redis_run, peer_run, floor, skipped, jwks_hits(), background,
    )


def _redis_keys(url: str) -> str:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        keys = sorted(k.decode(errors="replace") for k in client.keys("*"))
        return f"{len(keys)} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
    except Exception as exc:  # noqa: BLE001 - only a note in the report
        return f"unknown ({exc.__class__.__name__})"
