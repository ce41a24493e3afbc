"""A LocMemCache that counts every call and remembers every key it was given."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from django.core.cache.backends.locmem import LocMemCache


class CountingCache(LocMemCache):
    calls: Counter[str] = Counter()
    keys: set[str] = set()
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.calls.clear()
            cls.keys.clear()

    @classmethod
    def total(cls) -> int:
        return sum(cls.calls.values())

    def _count(self, method: str, key: Any = None) -> None:
        with self._lock:
            self.calls[method] += 1
            if isinstance(key, str):
                self.keys.add(key)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        self._count("get", key)
        return super().get(key, default, version)

    def set(self, key: str, value: Any, timeout: Any = 300, version: int | None = None) -> None:  # type: ignore[override]
        self._count("set", key)
        super().set(key, value, timeout, version)

    def add(self, key: str, value: Any, timeout: Any = 300, version: int | None = None) -> bool:  # type: ignore[override]
        self._count("add", key)
        return super().add(key, value, timeout, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        self._count("delete", key)
        return super().delete(key, version)

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        self._count("get_many")
        return super().get_many(keys, version)

    def has_key(self, key: str, version: int | None = None) -> bool:
        self._count("has_key", key)
        return super().has_key(key, version)
