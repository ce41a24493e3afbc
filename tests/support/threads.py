"""A process that cannot start another thread, as CPython says it: ``RuntimeError("can't start new thread")``.

Root is not held to ``RLIMIT_NPROC`` and a pids cgroup limit would stop the
test runner too, so the exhaustion is played by ``Thread.start`` itself
refusing threads whose name starts with a prefix; everything else stays real.
"""

from __future__ import annotations

import threading

import pytest


def refuse_threads(monkeypatch: pytest.MonkeyPatch, prefix: str = "") -> list[str]:
    """Make ``Thread.start`` fail for threads named ``prefix...`` (every thread for ``""``); returns their names."""
    start = threading.Thread.start
    refused: list[str] = []

    def refusing(thread: threading.Thread) -> None:
        if thread.name.startswith(prefix):
            refused.append(thread.name)
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", refusing)
    return refused
