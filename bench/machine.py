"""Facts about the machine a benchmark ran on, for the report."""
from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import socket
import subprocess
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


def collect() -> Machine:
    return Machine(
        nproc=os.cpu_count() or 1,
        cpu_model=cpu_model(),
        python=platform.python_version(),
        node=tool_version("node", "--version"),
        kernel=platform.release(),
        date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def load_average() -> str:
    """1/5/15-minute load averages: other work on the machine skews timings."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
