"""Blocking work kept off the event loop, and done once however many coroutines need it.

The validator and the key store are synchronous: their warm path is a dict
lookup, while a key fetch or a shared-cache read blocks. An async caller
first tries the in-memory path (``blocking=False``); what would block raises
``WouldBlock`` naming the blocking call, which ``once`` runs in a thread of
a small dedicated pool. Coroutines of one event loop that need the same call
(same ``key``) await one run of it: N concurrent cold requests make one
thread do one fetch, and the process and cross-worker fetch locks of the key
store keep it single across threads and processes.

A dedicated pool rather than the loop's default executor: application code
that fills the default executor (``sync_to_async(thread_sensitive=False)``)
cannot delay key fetches, and fetches cannot take all of its threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from jwks_auth.exceptions import KeysUnavailable

T = TypeVar("T")

#: Threads for blocking key-store work; each runs at most one fetch or cache call at a time.
MAX_THREADS = 4


class WouldBlock(Exception):
    """Raised by a non-blocking call: ``work()`` would do I/O; calls with equal ``key`` do the same work."""

    def __init__(self, key: Hashable, work: Callable[[], object]) -> None:
        super().__init__("blocking work needed")
        self.key = key
        self.work = work


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, asyncio.Future[Any]]] = (
    weakref.WeakKeyDictionary()
)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="jwks-auth-io")
        return _pool


async def run(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` in the pool, with the caller's context (tracing spans, settings overrides)."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    try:
        submitted = loop.run_in_executor(_executor(), call)
    except RuntimeError as exc:  # the pool cannot start a thread: the I/O cannot be done now (503, not 500)
        raise KeysUnavailable("no thread for the I/O") from exc
    return await submitted


async def once(key: Hashable, work: Callable[[], T]) -> T:
    """``work()`` in the pool, shared by every coroutine of this loop awaiting the same ``key`` meanwhile.

    Its result or exception goes to each of them. A caller that is cancelled
    (a client that went away) leaves the run going for the others.
    """
    loop = asyncio.get_running_loop()
    flights = _flights.setdefault(loop, {})
    future = flights.get(key)
    if future is None:
        future = asyncio.ensure_future(run(work))
        flights[key] = future
        future.add_done_callback(functools.partial(_landed, flights, key))
    return await asyncio.shield(future)


def _landed(flights: dict[Hashable, asyncio.Future[Any]], key: Hashable, future: asyncio.Future[Any]) -> None:
    if flights.get(key) is future:
        del flights[key]
    if not future.cancelled():
        future.exception()  # retrieved: no "never retrieved" warning when every waiter left


def in_flight() -> int:
    """Shared runs under way on the running loop (for tests)."""
    return len(_flights.get(asyncio.get_running_loop(), {}))
