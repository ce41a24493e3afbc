"""Running wrk with --latency and reading its report."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_COUNT_SUFFIX = {"": 1, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6}


@dataclass(frozen=True)
class WrkLoad:
    """The load shape: threads, connections, seconds."""

    threads: int = 2
    connections: int = 32
    seconds: int = 10


@dataclass(frozen=True)
class WrkResult:
    command: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    raw: str
    server_cpu_us: float | None = None  # server CPU time per request, if sampled
    other_busy: float | None = None  # share of all CPUs busy with neither server nor wrk during the run

    @property
    def clean(self) -> bool:
        """Every response was 2xx/3xx and no socket failed."""
        return self.non_2xx == 0 and self.socket_errors == 0 and self.requests > 0


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str, command: str = "") -> WrkResult:
    """Requests/s, p50/p99 (from the --latency distribution) and error counts."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ", output, re.M)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    # wrk counts a server closing a connection after its response (gunicorn's
    # sync worker does that) as a read error; only connect/write/timeout count.
    socket_errors = int(sock.group(1)) + int(sock.group(3)) + int(sock.group(4)) if sock else 0
    return WrkResult(
        command=command,
        requests=int(total.group(1)),
        rps=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        raw=output,
    )


def command(url: str, load: WrkLoad, bearer: bool, script: str | None = None) -> list[str]:
    argv = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s", "--latency"]
    if bearer:
        argv += ["-H", "Authorization: Bearer $TOKEN"]
    if script:
        argv += ["-s", script]
    return argv + [url]


def start(url: str, load: WrkLoad, script: str) -> tuple[subprocess.Popen[str], str]:
    """Start wrk in the background with a Lua script; `finish()` reads its result."""
    argv = command(url, load, False, script)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, shlex.join(argv)


def finish(proc: subprocess.Popen[str], shown: str, timeout: float) -> WrkResult:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err or out}")
    return parse(out, shown)


def bearer_script(path: Path, tokens: list[str]) -> Path:
    """A wrk Lua script that sends `tokens` in turn as bearer tokens, one per request.

    The requests are formatted once per thread in `init`: formatting one per
    request would cost wrk, which shares the CPUs with the server, far more
    than the static request of the other runs.
    """
    lines = (
        ["local tokens = {"]
        + [f'  "{t}",' for t in tokens]
        + [
            "}",
            "local requests = {}",
            "local i = 0",
            "init = function(args)",
            "  for k, token in ipairs(tokens) do",
            '    requests[k] = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })',
            "  end",
            "end",
            "request = function()",
            "  i = i % #requests + 1",
            "  return requests[i]",
            "end",
        ]
    )
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def run(url: str, load: WrkLoad, token: str | None = None, cpu: Callable[[], float] | None = None) -> WrkResult:
    """Run wrk against `url`; the report shows the token as $TOKEN.

    `cpu()`, if given, returns the server's CPU seconds so far; the result then
    carries the server's CPU time per request during the run.
    """
    shown = command(url, load, token is not None)
    argv = [arg.replace("$TOKEN", token) if token else arg for arg in shown]
    cpu_before = cpu() if cpu else 0.0
    out = subprocess.run(argv, capture_output=True, text=True, timeout=load.seconds + 60)
    cpu_used = cpu() - cpu_before if cpu else 0.0
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    printable = " ".join(shlex.quote(a) if "$TOKEN" not in a else f'"{a}"' for a in shown)
    result = parse(out.stdout, printable)
    if cpu and result.requests:
        result = replace(result, server_cpu_us=cpu_used / result.requests * 1e6)
    return result
