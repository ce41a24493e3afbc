"""An ``add`` that waits for a Redis replica's acknowledgement, when the cache's Redis has replicas.

Redis replicates asynchronously: a key written to a primary that dies a moment later may never reach the replica
that Sentinel (or a managed service) promotes in its place. For most of what jwks_auth caches that only costs a
refetch; for a DPoP ``jti`` it means a replayed proof is accepted a second time after the failover. ``SET NX`` and
``WAIT`` sent together on one connection (``WAIT`` counts the acknowledgements of that connection's own writes)
close that window: a ``jti`` is only taken as recorded once ``replicas`` replicas hold it.

Only Redis caches reached through redis-py are concerned: Django's ``RedisCache`` and django-redis (its
``SentinelClient`` included). Any other backend, and a Redis primary without connected replicas (asked with
``INFO replication`` at most every ``recheck`` seconds per process: ``WAIT`` would block its whole timeout there),
gets ``None`` from ``redis_client``, and the caller uses the cache's own ``add``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.core.cache import BaseCache


def redis_client(cache: BaseCache) -> Any | None:
    """The redis-py client of the primary behind ``cache``, or ``None`` for a backend that is not Redis."""
    django_redis = getattr(cache, "client", None)  # django-redis: DefaultClient, SentinelClient
    if django_redis is not None and callable(getattr(django_redis, "get_client", None)):
        return django_redis.get_client(write=True)
    builtin = getattr(cache, "_cache", None)  # django.core.cache.backends.redis.RedisCacheClient
    if builtin is not None and type(builtin).__name__ == "RedisCacheClient":
        return builtin.get_client(None, write=True)
    return None


class ReplicaCount:
    """How many replicas the primary has, remembered per process for ``recheck`` seconds."""

    def __init__(self, recheck: float = 5.0) -> None:
        self.recheck = recheck
        self._lock = threading.Lock()
        self._known: tuple[float, int] | None = None

    def of(self, client: Any, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._known is not None and now < self._known[0]:
                return self._known[1]
        replication = client.info("replication")
        count = int(replication.get("connected_slaves", 0)) if replication.get("role") == "master" else 0
        with self._lock:
            self._known = (now + self.recheck, count)
        return count

    def forget(self) -> None:
        with self._lock:
            self._known = None


#: The longest ``WAIT`` sent, in milliseconds: it holds the request, and a replica slower than this is as good as gone.
MAX_WAIT_MS = 5000


def wait_bound(timeout_ms: int) -> int:
    """``timeout_ms`` as sent to ``WAIT``: between 1 and ``MAX_WAIT_MS``.

    ``WAIT n 0`` means "block until n replicas acknowledge, however long", and Django's ``RedisCache`` has no
    socket timeout by default: a zero or negative timeout would hang the request; never send one.
    """
    return max(1, min(int(timeout_ms), MAX_WAIT_MS))


def add_acknowledged(client: Any, key: str, ttl: int, replicas: int, timeout_ms: int) -> tuple[bool, int]:
    """``SET key NX EX ttl`` then ``WAIT replicas timeout_ms`` on one connection: (stored, replicas that hold it).

    ``timeout_ms`` is bounded by ``wait_bound``. Raises redis-py's errors (the caller's cache wrapper makes them
    soft).
    """
    pipeline = client.pipeline(transaction=False)
    pipeline.set(key, b"1", nx=True, ex=max(1, int(ttl)))
    pipeline.execute_command("WAIT", replicas, wait_bound(timeout_ms))
    stored, acknowledged = pipeline.execute()
    return bool(stored), int(acknowledged)
