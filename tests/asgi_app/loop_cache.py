"""A counting LocMemCache that also counts the calls made from a thread running an event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.counting_cache import CountingCache


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class LoopWatchingCache(CountingCache):
    on_loop = 0

    @classmethod
    def reset(cls) -> None:
        super().reset()
        cls.on_loop = 0

    def _count(self, method: str, key: Any = None) -> None:
        super()._count(method, key)
        if _on_loop():
            with self._lock:
                type(self).on_loop += 1
