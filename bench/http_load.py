"""HTTP throughput and latency of GET / and GET /me under wrk.

Two phases, each with all of its servers running side by side and the wrk
runs taken in turn (server by server, path by path, for several rounds), so
that other work on a shared machine hits every server alike:

1. production servers: the product (LocMem cache) under gunicorn sync and
   gthread, granian (WSGI) and uvicorn (ASGI), one worker process per core
   and a few variants; the highest clean /me throughput wins;
2. compare: `make serve` (scripts/serve.sh) with LocMem and with Redis, the
   winner serving a bare app (the floor), the seed's Node API as shipped (one
   process) and in cluster mode (one process per core), and a forged-token
   flood against `make serve`.

Every server fetches keys over HTTP from the same JWKSProvider and gets the
same token. Each (server, path) keeps its best round (highest req/s).
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from bench import machine, servers, wrk
from bench.procs import group_cpu_seconds, http_get
from bench.servers import Server, ServerSetup

PATHS = ("/", "/me")


@dataclass
class ServerRun:
    """Both endpoints of one server setup under the same wrk load."""

    target: str  # "product" or "peer"
    label: str  # worker model
    cache: str  # "LocMem", "Redis" or "-"
    server_command: str
    results: dict[str, wrk.WrkResult] = field(default_factory=dict)  # the best round of each path
    notes: list[str] = field(default_factory=list)
    rounds: dict[str, list[float]] = field(default_factory=dict)  # req/s of every round, in order, per path

    def rps(self, path: str) -> float:
        return self.results[path].rps

    @property
    def clean(self) -> bool:
        return all(r.clean for r in self.results.values())


def paired_ratios(a: ServerRun, a_path: str, b: ServerRun, b_path: str) -> list[float]:
    """a's req/s over b's, round by round: both measured in the same round, minutes apart at most.

    The best-of ratio pairs each side's luckiest round, which may be different
    rounds; the paired ratios show how far the verdict moves with the noise.
    """
    return [x / y for x, y in zip(a.rounds.get(a_path, []), b.rounds.get(b_path, []), strict=False) if y > 0]


@dataclass
class Halves:
    """One run of two wrk processes at once on /me: a plain half and a half driven by a Lua token list."""

    plain: wrk.WrkResult  # the valid token, wrk's static request
    scripted: wrk.WrkResult  # the Lua script's tokens, in turn
    server_cpu_s: float | None  # the server's CPU time during the run


@dataclass
class FloodResult:
    """`make serve` while half the connections send forged tokens, against a control run in the same shape.

    The control sends the valid token on both halves, the second through the
    same Lua script (the valid token repeated as many times as there are
    forged ones), so the two runs differ only in the tokens: the cost of the
    second wrk and its script, which shares the CPUs with the server, is in both.
    """

    flooded: Halves  # plain: the valid half; scripted: the forged half (every answer should be 401)
    control: Halves  # both halves valid
    forged_tokens: int
    round_ratios: list[float] = field(default_factory=list)  # the ratio within each round

    @property
    def valid(self) -> wrk.WrkResult:
        return self.flooded.plain

    @property
    def forged(self) -> wrk.WrkResult:
        return self.flooded.scripted

    @property
    def unflooded_rps(self) -> float:
        """Valid /me throughput with every connection valid (both halves of the control)."""
        return self.control.plain.rps + self.control.scripted.rps

    @property
    def ratio(self) -> float:
        return self.valid.rps / self.unflooded_rps

    @property
    def valid_cpu_us(self) -> float | None:
        """Server CPU per valid request, from the control."""
        served = self.control.plain.requests + self.control.scripted.requests
        if self.control.server_cpu_s is None or not served:
            return None
        return self.control.server_cpu_s * 1e6 / served

    @property
    def forged_cpu_us(self) -> float | None:
        """Server CPU per refused forged request: the flood's CPU less the valid requests' at the control's cost."""
        valid_cpu = self.valid_cpu_us
        if self.flooded.server_cpu_s is None or valid_cpu is None or not self.forged.requests:
            return None
        return (self.flooded.server_cpu_s * 1e6 - self.valid.requests * valid_cpu) / self.forged.requests

    @property
    def fair_share(self) -> float | None:
        """What equal connections leave the valid half when each request costs its CPU: Cv / (Cv + Cf)."""
        valid_cpu, forged_cpu = self.valid_cpu_us, self.forged_cpu_us
        if valid_cpu is None or forged_cpu is None or valid_cpu + forged_cpu <= 0:
            return None
        return valid_cpu / (valid_cpu + forged_cpu)


@dataclass
class HttpResults:
    load: wrk.WrkLoad
    sweep_rounds: int
    compare_rounds: int
    sweep: list[ServerRun]
    winner: str  # label of phase 1's best server
    recommended: ServerRun  # phase 2's `make serve` run, LocMem
    redis: ServerRun | None
    peer: ServerRun | None
    floor: ServerRun | None
    peer_skipped: str | None
    jwks_fetches: int
    background: list[str] = field(default_factory=list)  # other work before each round
    peer_cluster: ServerRun | None = None
    flood: FloodResult | None = None

    def all_runs(self) -> list[ServerRun]:
        phase2 = (self.recommended, self.redis, self.floor, self.peer, self.peer_cluster)
        return self.sweep + [r for r in phase2 if r is not None]


def setups(nproc: int) -> list[ServerSetup]:
    """Production servers worth trying on `nproc` cores: one worker per core, and the usual variants."""
    return [
        ServerSetup("gunicorn", nproc, "sync"),
        ServerSetup("gunicorn", 2 * nproc + 1, "sync"),
        ServerSetup("gunicorn", nproc, "gthread", 4),
        ServerSetup("gunicorn", 2 * nproc, "gthread", 2),
        ServerSetup("granian", nproc, threads=1),
        ServerSetup("granian", nproc, threads=0),
        ServerSetup("uvicorn", nproc),
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
    for _run, server in running:
        check_endpoints(server.base_url, token)
        for path in PATHS:  # imports, key fetch, caches in every worker
            wrk.run(server.base_url + path, warmup, token if path == "/me" else None)
    for round_no in range(rounds):
        background.append(settle())
        log(f"  round {round_no + 1}/{rounds}: " + ", ".join(f"{r.label} ({r.cache})" for r, _ in running))
        for run, server in running:
            for path in PATHS:
                result = measure(server, path, load, token if path == "/me" else None)
                run.rounds.setdefault(path, []).append(result.rps)
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
    forged: list[str],
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    log_dir: Path,
    with_peer: bool,
    peer_install_timeout: float,
    sweep_rounds: int,
    compare_rounds: int,
    settle: Callable[[], str] = lambda: "",
    log: Callable[[str], None] = print,
    with_redis: bool = True,
) -> HttpResults:
    """Compare production servers, then `make serve` (LocMem, Redis, flooded) with the floor and the Node peers.

    `settle()` runs before each round (e.g. waits for other work on the
    machine to calm down) and returns a note for the report.
    """
    var_dir = log_dir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    background: list[str] = []
    nproc = os.cpu_count() or 1
    candidates = setups(nproc)

    sweep: list[ServerRun] = []
    # Without a sweep (make bench), the server make serve runs is the one compared: the sweep is make bench-full's.
    with ExitStack() as stack:
        if sweep_rounds:
            log("  phase 1: production servers, LocMem")
        running = []
        for setup in candidates if sweep_rounds else []:
            env = servers.api_env(issuer, jwks_uri, var_dir, None)
            server = stack.enter_context(servers.product(setup, env, log_dir))
            sweep_run = ServerRun("product", setup.label, "LocMem", server.command_line(servers.API_ENV_KEYS))
            running.append((sweep_run, server))
            sweep.append(sweep_run)
        if running:
            load_in_turn(running, token, load, warmup, sweep_rounds, settle, background, log)
    # make serve's own server (scripts/serve.sh: granian WSGI, a worker per core, one blocking thread).
    serve_setup = next(s for s in candidates if s.server == "granian" and s.threads == 1)
    best_setup = serve_setup if not sweep else next(s for s in candidates if s.label == _best(sweep).label)
    winner_label = best_setup.label

    skipped: str | None = "not requested" if not with_peer else None
    if with_peer:
        skipped = servers.ensure_peer_installed(peer_install_timeout)
        if skipped is not None:
            log(f"  node peer skipped: {skipped}")

    serve = ServerSetup("make serve", nproc)
    log(
        f"  phase 2: make serve with LocMem{' and Redis' if with_redis else ''}, {best_setup.label} serving a bare app"
        + ("" if skipped else "; Node peer, one process and cluster")
    )
    with ExitStack() as stack:
        env = servers.api_env(issuer, jwks_uri, var_dir, None)
        serve_server = stack.enter_context(servers.product(serve, env, log_dir))
        locmem = ServerRun("product", serve.label, "LocMem", serve_server.command_line(servers.API_ENV_KEYS))
        running = [(locmem, serve_server)]

        redis_run: ServerRun | None = None
        redis_url = ""
        if with_redis:
            redis_url = stack.enter_context(servers.redis(log_dir))
            env = servers.api_env(issuer, jwks_uri, var_dir, redis_url)
            server = stack.enter_context(servers.product(serve, env, log_dir))
            redis_run = ServerRun("product", serve.label, "Redis", server.command_line(servers.API_ENV_KEYS))
            running.append((redis_run, server))

        server = stack.enter_context(servers.product(best_setup, dict(os.environ), log_dir, floor=True))
        floor = ServerRun("floor", best_setup.label, "-", server.command_line(()))
        running.append((floor, server))

        peer_run: ServerRun | None = None
        cluster_run: ServerRun | None = None
        if skipped is None:
            server = stack.enter_context(servers.node_peer(issuer, jwks_uri, log_dir))
            peer_run = ServerRun(
                "peer", "node, 1 process (as shipped)", "-", server.command_line(servers.PEER_ENV_KEYS)
            )
            running.append((peer_run, server))
            server = stack.enter_context(servers.node_peer(issuer, jwks_uri, log_dir, processes=nproc))
            cluster_run = ServerRun(
                "peer", f"node cluster, {nproc} processes", "-", server.command_line(servers.PEER_ENV_KEYS)
            )
            running.append((cluster_run, server))
        load_in_turn(running, token, load, warmup, compare_rounds, settle, background, log)
        if redis_run is not None:
            redis_run.notes.append(f"Redis keys after the run: {_redis_keys(redis_url)}")
        flood = forged_flood(serve_server, token, forged, load, log_dir, compare_rounds, settle, background, log)
    return HttpResults(
        load,
        sweep_rounds,
        compare_rounds,
        sweep,
        winner_label,
        locmem,
        redis_run,
        peer_run,
        floor,
        skipped,
        jwks_hits(),
        background,
        cluster_run,
        flood,
    )


def forged_flood(
    server: Server,
    token: str,
    forged: list[str],
    load: wrk.WrkLoad,
    log_dir: Path,
    rounds: int,
    settle: Callable[[], str],
    background: list[str],
    log: Callable[[str], None],
) -> FloodResult:
    """Valid /me on half the connections while the other half sends forged tokens (each once in turn),
    and a control run in the same shape with only valid tokens, the two taken in turn each round."""
    half = replace(load, threads=max(1, load.threads // 2), connections=max(1, load.connections // 2))
    forged_script = wrk.bearer_script(log_dir / "forged-tokens.lua", forged)
    valid_script = wrk.bearer_script(log_dir / "valid-tokens.lua", [token] * len(forged))
    best_flooded: Halves | None = None
    best_control: Halves | None = None
    ratios = []
    for round_no in range(rounds):
        background.append(settle())
        log(f"  forged-token flood and its control, round {round_no + 1}/{rounds}")
        control = _halves(server, token, valid_script, half, load)
        flooded = _halves(server, token, forged_script, half, load)
        ratios.append(flooded.plain.rps / max(1e-9, control.plain.rps + control.scripted.rps))
        if best_flooded is None or flooded.plain.rps > best_flooded.plain.rps:
            best_flooded = flooded
        if best_control is None or control.plain.rps + control.scripted.rps > (
            best_control.plain.rps + best_control.scripted.rps
        ):
            best_control = control
    assert best_flooded is not None and best_control is not None
    return FloodResult(best_flooded, best_control, len(forged), ratios)


def _halves(server: Server, token: str, script: Path, half: wrk.WrkLoad, load: wrk.WrkLoad) -> Halves:
    """The plain half (the valid token) measured while a second wrk runs `script` on the other half."""
    server_cpu = partial(group_cpu_seconds, server.proc.proc.pid)
    with machine.OtherWork() as other:
        cpu0 = server_cpu()
        proc, shown = wrk.start(server.base_url + "/me", half, str(script))
        try:
            plain = measure(server, "/me", half, token)
        finally:
            shown_script = str(script.relative_to(servers.ROOT)) if script.is_relative_to(servers.ROOT) else str(script)
            scripted = wrk.finish(proc, shown.replace(str(script), shown_script), timeout=load.seconds + 60)
        used = server_cpu() - cpu0
        other.exclude(used)
    # measure()'s own figures count the second wrk as other work (both wrks are ours) and divide the CPU of
    # both halves by the plain half's requests; the CPU per request is the run's, from server_cpu_s.
    return Halves(replace(plain, other_busy=other.share, server_cpu_us=None), scripted, used)


def _redis_keys(url: str) -> str:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        keys = sorted(k.decode(errors="replace") for k in client.keys("*"))
        return f"{len(keys)} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
    except Exception as exc:  # noqa: BLE001 - only a note in the report
        return f"unknown ({exc.__class__.__name__})"
