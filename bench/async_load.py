"""Async views over HTTP, each against its own floor: the same server's async endpoint without authentication.

granian's ASGI mode and uvicorn, a worker per core each, serve the ASGI test
project (``tests.asgi_app.asgi:application``): an async Ninja ``/me``
(``/ninja/ame``, ``AsyncJWKSBearer``), an async plain view (``/plain/async``,
``token_required``) and the same framework's async endpoint without any
authentication (``/ninja/open``, ``/plain/open``). granian WSGI serving the
sample's sync DRF ``/me`` (``config.wsgi``, as ``make serve`` runs it) runs
beside them, with the same workers on the same cores. All servers run side by
side and the wrk runs go in turn, for several rounds; each ratio is taken
round by round (both sides in the same round) and judged on its median.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import servers, wrk
from bench.http_load import ServerRun, measure
from bench.machine import free_port
from bench.procs import managed, wait_for_port
from bench.servers import ROOT, Server, ServerSetup

ASGI_TEST_APP = "tests.asgi_app.asgi:application"
#: Path -> whether it needs the token; the authenticated endpoint first, then its floor.
ASYNC_PATHS = {"/ninja/ame": True, "/ninja/open": False, "/plain/async": True, "/plain/open": False}
#: Each authenticated async endpoint and the unauthenticated one of the same framework.
FLOORS = {"/ninja/ame": "/ninja/open", "/plain/async": "/plain/open"}
WSGI_PATHS = {"/me": True, "/": False}
#: The async Ninja /me against the same server's unauthenticated async endpoint, at least.
ASYNC_MIN_FRACTION_OF_OPEN = 0.95


@dataclass
class AsyncResults:
    rounds: int
    runs: list[ServerRun] = field(default_factory=list)
    paths: dict[str, dict[str, bool]] = field(default_factory=dict)  # run label -> paths measured

    def ratios(self, run: ServerRun, path: str) -> list[float]:
        """``path``'s req/s over its floor's, round by round."""
        floor = FLOORS[path]
        pairs = zip(run.rounds.get(path, []), run.rounds.get(floor, []), strict=False)
        return [me / open_ for me, open_ in pairs if open_ > 0]

    def median_ratio(self, run: ServerRun, path: str) -> float | None:
        ratios = self.ratios(run, path)
        return statistics.median(ratios) if ratios else None

    def best_asgi(self) -> ServerRun | None:
        """The ASGI server with the highest unauthenticated async Ninja throughput: "the best ASGI server here"."""
        asgi = [r for r in self.runs if r.target == "async" and "/ninja/open" in r.results]
        return max(asgi, key=lambda r: r.rps("/ninja/open"), default=None)


def asgi_argv(server: str, port: int, workers: int) -> list[str]:
    """The tests' ASGI app under granian's ASGI mode or uvicorn, as ``ServerSetup`` runs the product."""
    setup = ServerSetup(server, workers, threads=0, interface="asgi")
    return setup.argv(port, ASGI_TEST_APP)


@contextmanager
def asgi_server(server: str, workers: int, issuer: str, jwks_uri: str, log_dir: Path) -> Iterator[Server]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.asgi_app.settings",
        TEST_JWKS_AUTH=json.dumps({"ISSUER": issuer, "AUDIENCE": ["api1"], "JWKS_URI": jwks_uri}),
        JWKS_AUTH_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    with managed(f"{server}-asgi-async", asgi_argv(server, port, workers), env, ROOT, log_dir) as proc:
        wait_for_port(proc, port, timeout=60)
        yield Server(proc, f"http://127.0.0.1:{port}")


def run(
    issuer: str,
    jwks_uri: str,
    token: str,
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    log_dir: Path,
    rounds: int,
    settle: Callable[[], str],
    background: list[str],
    log: Callable[[str], None] = print,
) -> AsyncResults:
    nproc = os.cpu_count() or 1
    results = AsyncResults(rounds)
    var_dir = log_dir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        running: list[tuple[ServerRun, Server, dict[str, bool]]] = []
        for name in ("granian", "uvicorn"):
            server = stack.enter_context(asgi_server(name, nproc, issuer, jwks_uri, log_dir))
            label = f"{name} ASGI, {nproc} workers" + (" (--loop uvloop --http httptools)" if name == "uvicorn" else "")
            running.append((ServerRun("async", label, "LocMem", server.command_line(())), server, ASYNC_PATHS))
        wsgi = servers.ServerSetup("granian", nproc, threads=1)
        env = servers.api_env(issuer, jwks_uri, var_dir, None)
        server = stack.enter_context(servers.product(wsgi, env, log_dir))
        running.append(
            (ServerRun("product", wsgi.label, "LocMem", server.command_line(servers.API_ENV_KEYS)), server, WSGI_PATHS)
        )
        for run_, server, paths in running:
            results.paths[run_.label] = paths
            for path, needs_token in paths.items():  # imports, key fetch, caches in every worker
                wrk.run(server.base_url + path, warmup, token if needs_token else None)
        for round_no in range(rounds):
            background.append(settle())
            log(f"  async round {round_no + 1}/{rounds}: " + ", ".join(r.label for r, _, _ in running))
            for run_, server, paths in running:
                for path, needs_token in paths.items():
                    result = measure(server, path, load, token if needs_token else None)
                    run_.rounds.setdefault(path, []).append(result.rps)
                    if run_.results.get(path) is None or result.rps > run_.results[path].rps:
                        run_.results[path] = result
        results.runs = [r for r, _, _ in running]
    return results
