"""Instructions per request under callgrind: the one figure a shared, noisy machine cannot move.

Each peer of the shared minimal stack (bench/peers) runs ``bench/wsgi_worker.py``
in its counted mode under ``valgrind --tool=callgrind``, which counts the
instructions executed, not time: with the same code, inputs and
``PYTHONHASHSEED``, other load on the machine leaves the count as it is.
Collection is on only inside the worker's two batches of requests (``/``,
then ``/me``), each dumped to a file of its own.

Instructions are not microseconds: an instruction that misses a cache costs
more than one that hits, and under valgrind OpenSSL runs without the CPU's
SHA extensions, so hashing and signatures count several times the
instructions the CPU needs. The OpenSSL share is shown apart for that reason.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "callgrind"
MARKER = "math_fsum"  # bench/wsgi_worker.py run_counted: the requests run inside math.fsum
#: Objects whose instructions are OpenSSL's: the system libcrypto (hashlib) and cryptography's own copy.
_OPENSSL = re.compile(r"libcrypto|libssl|_rust\.abi3\.so")
_ANNOTATED = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$")


@dataclass
class Counted:
    peer: str
    requests: int
    root: float  # instructions per GET /
    me: float  # instructions per GET /me with one repeated token
    root_openssl: float  # of which in OpenSSL
    me_openssl: float
    command: str

    @property
    def overhead(self) -> float:
        """Instructions a /me costs beyond a /."""
        return self.me - self.root

    @property
    def overhead_openssl(self) -> float:
        """The part of ``overhead`` spent in OpenSSL."""
        return self.me_openssl - self.root_openssl


def beyond(mine: Counted, floor: Counted) -> tuple[float, float]:
    """What ``mine``'s /me - / costs beyond ``floor``'s: (instructions, of which OpenSSL)."""
    return mine.overhead - floor.overhead, mine.overhead_openssl - floor.overhead_openssl


def unavailable() -> str | None:
    """Why the count cannot run here, else ``None``."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        return "valgrind is not installed (scripts/install-system-deps.sh valgrind)"
    return None


def _openssl_share(path: Path) -> int:
    """Instructions of a dump that were spent in OpenSSL's objects (callgrind_annotate's per-function list)."""
    out = subprocess.run(
        ["callgrind_annotate", "--threshold=100", str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    total = 0
    for line in out.stdout.splitlines():
        match = _ANNOTATED.match(line)
        if match and _OPENSSL.search(match.group(2)):
            total += int(match.group(1).replace(",", ""))
    return total


def _totals(path: Path) -> int:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"{path} has no totals line")


def count(peer: str, python: str, shown_python: str, settings: str, requests: int, timeout: float = 900) -> Counted:
    """Instructions per GET / and GET /me of one peer, in a fresh process under callgrind."""
    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / f"{peer}.out"
    for stale in OUT.glob(f"{peer}.out*"):
        stale.unlink()
    spec = json.dumps({"settings": settings, "peer": peer, "counted": requests}, separators=(",", ":"))
    valgrind = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        f"--toggle-collect={MARKER}",
        f"--dump-after={MARKER}",
        f"--callgrind-out-file={base}",
    ]
    argv = [*valgrind, python, "-m", "bench.wsgi_worker", spec]
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "PEER")}
    env["PYTHONHASHSEED"] = "0"  # dict and set layouts, hence the count, the same every run
    env["BENCH_COUNTED"] = "1"  # bench/peers/settings.py: no wall-clock rechecks inside the count
    out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"callgrind run of {peer} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    batches = [OUT / f"{peer}.out.1", OUT / f"{peer}.out.2"]
    extra = sorted(p.name for p in OUT.glob(f"{peer}.out.*") if p not in batches)
    if not all(p.is_file() for p in batches) or extra:
        raise RuntimeError(
            f"callgrind run of {peer} wrote {sorted(p.name for p in OUT.glob(f'{peer}.out*'))}: "
            f"expected one dump per batch (is {MARKER} called elsewhere, or missing its symbol?)"
        )
    (root, me) = (_totals(p) / requests for p in batches)
    if not root or not me:
        raise RuntimeError(f"callgrind counted nothing inside {MARKER}: does this Python have its symbols?")
    root_ssl, me_ssl = (_openssl_share(p) / requests for p in batches)
    shown = shlex.join(
        [
            "PYTHONHASHSEED=0",
            "BENCH_COUNTED=1",
            *valgrind[:-1],
            f"--callgrind-out-file={base.relative_to(ROOT)}",
            shown_python,
            "-m",
            "bench.wsgi_worker",
            spec,
        ]
    )
    return Counted(peer, requests, root, me, root_ssl, me_ssl, shown)


def run_all(
    peers: list[str],
    python: str,
    shown_python: str,
    settings: str,
    smoke: bool,
    log: Callable[[str], None] = print,
    requests: int | None = None,
) -> list[Counted]:
    """Every peer once: the count does not vary from run to run, so there is nothing to take the best of.

    Two at a time: other load does not move a count, so the peers need not wait for each other.
    """
    requests = requests or (20 if smoke else 300)

    def one(peer: str) -> Counted:
        log(f"  instructions (callgrind): {peer} ...")
        return count(peer, python, shown_python, settings, requests)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, peers))
