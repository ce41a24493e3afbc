"""timeit-style timing: run a loop several times and keep the best."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_us_per_op(loop: Callable[[int], int], repeats: int) -> float:
    """Best (lowest) microseconds per operation over `repeats` runs.

    `loop(i)` runs repeat number `i` and returns how many operations it did.
    The garbage collector is off while a repeat runs, as `timeit` does.
    """
    best = float("inf")
    for i in range(repeats):
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            start = time.perf_counter()
            ops = loop(i)
            elapsed = time.perf_counter() - start
        finally:
            if gc_was_enabled:
                gc.enable()
        best = min(best, elapsed / ops * 1e6)
    return best


def best_us_interleaved(loops: dict[str, Callable[[int], int]], repeats: int) -> dict[str, float]:
    """best_us_per_op for several loops, their repeats taken in turn.

    Interleaving spreads every measure over the same stretch of time, so a
    burst of other work on the machine cannot favour one of them, and the
    ratios between them stay fair.
    """
    best = {name: float("inf") for name in loops}
    for i in range(repeats):
        for name, loop in loops.items():
            best[name] = min(best[name], best_us_per_op(lambda _, loop=loop, i=i: loop(i), 1))
    return best


def repeat_call(fn: Callable[[], object], number: int) -> Callable[[int], int]:
    """A loop for best_us_per_op that calls `fn()` `number` times."""

    def loop(_: int) -> int:
        for _ in range(number):
            fn()
        return number

    return loop


def each_once(fn: Callable[[str], object], batches: list[list[str]]) -> Callable[[int], int]:
    """A loop that calls `fn(item)` once per item of batch `i` (distinct inputs per repeat)."""

    def loop(i: int) -> int:
        batch = batches[i]
        for item in batch:
            fn(item)
        return len(batch)

    return loop
