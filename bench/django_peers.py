"""jwks_auth and three Django peers in one identical minimal Django + DRF stack (bench/peers).

The peers live in their own virtualenv (bench/out/peers-venv, from
bench/peers/requirements.txt), so they never enter the project's
requirements. Each is measured in process (bench/wsgi_worker.py under that
venv's interpreter) and over HTTP (granian, one worker per core, the same
wrk load as the product), their runs taken in turn.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench import http_load, instructions, servers, wrk
from bench.instructions import Counted
from bench.servers import ServerSetup
from bench.validation import WsgiMeasured, run_wsgi

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / "out" / "peers-venv"
REQUIREMENTS = ROOT / "bench" / "peers" / "requirements.txt"
SETTINGS = "bench.peers.settings"
APP = "bench.peers.wsgi:application"
SHOWN_PYTHON = "bench/out/peers-venv/bin/python"

#: (PEER name, what it is), jwks_auth first, the floor (no token check for a repeated token) last.
PEERS = (
    ("jwks_auth", "jwks_auth (this project)"),
    ("simplejwt", "djangorestframework-simplejwt 5.5.1, JWK_URL"),
    ("pyjwkclient", "hand-written DRF class over PyJWT 2.15.1 PyJWKClient"),
    ("oidc_auth", "drf-oidc-auth 4.0.0"),
    ("floor", "floor: a dict from token to verdict before PyJWKClient"),
)
#: Peers that set a bound rather than compete: not held to the 2x target.
FLOORS = frozenset({"floor"})
LABELS = dict(PEERS)


@dataclass
class PeersResults:
    in_process: list[WsgiMeasured]
    http: list[http_load.ServerRun]
    skipped: str | None = None
    counted: list[Counted] = field(default_factory=list)  # instructions per request (callgrind)
    counted_skipped: str | None = None

    def count(self, peer: str) -> Counted | None:
        return next((c for c in self.counted if c.peer == peer), None)

    def wsgi(self, peer: str) -> WsgiMeasured | None:
        return next((m for m in self.in_process if m.peer == peer), None)

    def run(self, peer: str) -> http_load.ServerRun | None:
        return next((r for r in self.http if r.label == LABELS[peer]), None)


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(timeout: float = 600) -> str | None:
    """Create or update the peers' venv; None when ready, else why not."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = VENV / ".installed"
    if stamp.is_file() and stamp.read_text().strip() == digest and python().exists():
        return None
    try:
        if not python().exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
        out = subprocess.run(
            [str(python()), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not create {VENV.relative_to(ROOT)}: {exc}"
    if out.returncode != 0:
        return "pip install failed: " + (out.stderr or out.stdout).strip()[-300:]
    stamp.write_text(digest + "\n")
    return None


def in_process(smoke: bool, rounds: int, log: Callable[[str], None] = print) -> list[WsgiMeasured]:
    """Every peer through the WSGI handler, `rounds` times in turn; each keeps its fastest /me."""
    best: dict[str, WsgiMeasured] = {}
    for round_no in range(rounds):
        for peer, _ in PEERS:
            log(f"  in process: {peer} (round {round_no + 1}/{rounds}) ...")
            measured = run_wsgi(smoke, python=str(python()), shown_python=SHOWN_PYTHON, settings=SETTINGS, peer=peer)
            if peer not in best or measured.me_us < best[peer].me_us:
                best[peer] = measured
    return [best[peer] for peer, _ in PEERS]


def counted(
    smoke: bool, log: Callable[[str], None] = print, requests: int | None = None
) -> tuple[list[Counted], str | None]:
    """Instructions per request of every peer (all of them, or with --smoke jwks_auth and the floor); the
    counts, or why they were not taken."""
    missing = instructions.unavailable()
    if missing is not None:
        return [], missing
    peers = ["jwks_auth", "floor"] if smoke else [peer for peer, _ in PEERS]
    try:
        return instructions.run_all(peers, str(python()), SHOWN_PYTHON, SETTINGS, smoke, log, requests), None
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        # A failed count costs its rows, not the timings the run already took.
        return [], f"callgrind run failed: {str(exc).splitlines()[0][:200]}"


def over_http(
    issuer: str,
    jwks_uri: str,
    token: str,
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    log_dir: Path,
    rounds: int,
    settle: Callable[[], str],
    background: list[str],
    log: Callable[[str], None],
) -> list[http_load.ServerRun]:
    """Every peer under granian (one worker per core), all running side by side, wrk runs in turn."""
    setup = ServerSetup("granian", os.cpu_count() or 1, threads=1, python=str(python()), app=APP)
    runs = []
    with ExitStack() as stack:
        running = []
        for peer, label in PEERS:
            env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
            env.update(
                DJANGO_SETTINGS_MODULE=SETTINGS,
                PEER=peer,
                BENCH_ISSUER=issuer,
                BENCH_JWKS_URI=jwks_uri,
                BENCH_AUDIENCE="api1",
                PYTHONDONTWRITEBYTECODE="1",
            )
            server = stack.enter_context(servers.product(setup, env, log_dir / f"peer-{peer}"))
            shown = server.command_line(("PEER",)).replace(str(python()), SHOWN_PYTHON, 1)
            run = http_load.ServerRun("django peer", label, "LocMem", shown)
            running.append((run, server))
            runs.append(run)
        log("  peers over HTTP: " + ", ".join(p for p, _ in PEERS))
        http_load.load_in_turn(running, token, load, warmup, rounds, settle, background, log)
    return runs
