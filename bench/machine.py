"""Facts about the machine a benchmark ran on, for the report."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Machine:
    nproc: int
    cpu_model: str
    python: str
    node: str
    kernel: str
    date: str


def cpu_model() -> str:
    """The first `model name` in /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tool_version(*argv: str) -> str:
    """`argv --version`-style output, or 'not installed'."""
    if shutil.which(argv[0]) is None:
        return "not installed"
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "unknown"


def code_version(root: str, paths: tuple[str, ...] = ("jwks_auth", "api", "config", "bench")) -> str:
    """HEAD's commit, plus which of `paths` had uncommitted changes (the tree is shared)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    changed = sorted({line[3:].split("/", 1)[0] for line in dirty.stdout.splitlines() if line.strip()})
    return head.stdout.strip() + (f" (uncommitted changes under {', '.join(changed)})" if changed else " (clean)")


def collect() -> Machine:
    return Machine(
        nproc=os.cpu_count() or 1,
        cpu_model=cpu_model(),
        python=platform.python_version(),
        node=tool_version("node", "--version"),
        kernel=platform.release(),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def load_average() -> str:
    """1/5/15-minute load averages: other work on the machine skews timings."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already in user
    return total - idle, total


def cpu_busy(interval: float = 2.0) -> float:
    """Fraction (0..1) of all CPUs busy over the next `interval` seconds."""
    busy0, total0 = cpu_ticks()
    time.sleep(interval)
    busy1, total1 = cpu_ticks()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_quiet(max_wait: float, threshold: float = 0.10, log: Callable[[str], None] = print) -> str:
    """Wait (at most `max_wait` s) until other work keeps < `threshold` of the CPUs busy.

    Returns a note for the report: how busy the machine was when we started.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy(1.0)
    waited = 0.0
    start = time.monotonic()
    while busy >= threshold and time.monotonic() < deadline:
        if waited == 0.0:
            log(f"  machine {busy:.0%} busy with other work; waiting up to {max_wait:.0f} s for it to calm down ...")
        busy = cpu_busy(5.0)
        waited = time.monotonic() - start
    state = "quiet" if busy < threshold else "still busy"
    return f"{busy:.0%} of the CPUs busy with other work before starting ({state}; waited {waited:.0f} s)"


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OtherWork:
    """Share of all CPUs busy with work other than this process and its waited-for children.

        with OtherWork() as other:
            ...  # run a benchmark part (its worker processes must have exited at the end)
        other.share

    `exclude()` takes the CPU seconds of processes that are not children (a
    server's process group) out as well.
    """

    def __enter__(self) -> OtherWork:
        self.share = 0.0
        self._excluded = 0.0
        self._ticks = cpu_ticks()
        self._own = self._own_seconds()
        return self

    def exclude(self, cpu_seconds: float) -> None:
        self._excluded += cpu_seconds

    @staticmethod
    def _own_seconds() -> float:
        import resource

        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime

    def __exit__(self, *exc: object) -> None:
        busy1, total1 = cpu_ticks()
        busy = (busy1 - self._ticks[0]) / CLK_TCK
        total = max(1e-9, (total1 - self._ticks[1]) / CLK_TCK)
        own = self._own_seconds() - self._own + self._excluded
        self.share = max(0.0, busy - own) / total
