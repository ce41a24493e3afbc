"""``SharedCache`` keeps its backend per thread, and looks it up again when ``CACHES`` changes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.test import override_settings

from jwks_auth.utils.shared_cache import SharedCache
from tests.support.loopback import LOOPBACK, free_port
from tests.support.processes import RedisServer

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared-cache-test"}


def _redis(port: int) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://{LOOPBACK}:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def test_one_backend_per_thread_the_one_django_gives_that_thread() -> None:
    with override_settings(CACHES={"default": LOCMEM}):
        shared = SharedCache("default")
        assert shared.backend() is shared.backend() is caches["default"]
        seen: list[object] = []
        thread = threading.Thread(target=lambda: seen.append((shared.backend(), caches["default"])))
        thread.start()
        thread.join()
        other, djangos = seen[0]  # type: ignore[misc]
        assert other is djangos and other is not shared.backend()


def test_a_change_of_caches_is_followed_at_once(tmp_path: Path) -> None:
    """From a Redis nobody listens on (every call soft-fails) to a real one, and back: no restart."""
    shared = SharedCache("default")
    with override_settings(CACHES={"default": _redis(free_port())}):
        assert shared.add("k", 1, 60) is None  # the backend raised: None, not an exception
        with RedisServer(tmp_path / "redis") as server, override_settings(CACHES={"default": _redis(server.port)}):
            assert shared.add("k", 1, 60) is True
            assert shared.add("k", 1, 60) is False
            assert shared.add_replicated("j", 60, 1, 100) is True  # a primary without replicas: a plain add
            assert shared.add_replicated("j", 60, 1, 100) is False
        assert shared.get("k") is None
