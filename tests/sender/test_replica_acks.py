"""The replay store's wait for replica acknowledgements (``jwks_auth.utils.replicated``), against real Redis.

``WAIT`` is bounded (never ``WAIT n 0``, which blocks until n replicas answer, however long), and asks for no
more replicas than the primary has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import override_settings

from jwks_auth.utils import replicated
from jwks_auth.utils.shared_cache import SharedCache
from tests.support.loopback import LOOPBACK
from tests.support.processes import RedisServer
from tests.support.sentinel import SentinelRedis


@pytest.mark.parametrize(
    ("timeout_ms", "sent"), [(0, 1), (-5, 1), (1, 1), (200, 200), (5000, 5000), (5001, 5000), (10**9, 5000)]
)
def test_the_wait_is_between_one_millisecond_and_five_seconds(timeout_ms: int, sent: int) -> None:
    assert replicated.wait_bound(timeout_ms) == sent


def test_a_zero_timeout_never_blocks_on_a_primary_without_enough_replicas(tmp_path: Path) -> None:
    """``WAIT 1 0`` on a primary without replicas would never return (the client's 2 s socket timeout would)."""
    with RedisServer(tmp_path / "redis") as redis_server:
        client = redis_server.client()
        assert replicated.add_acknowledged(client, "jti:a", 10, 1, 0) == (True, 0)
        assert replicated.add_acknowledged(client, "jti:a", 10, 1, 0) == (False, 0)


def test_more_replica_acks_than_connected_replicas_waits_for_those_there_are(tmp_path: Path) -> None:
    """replica_acks = 2 with one replica left (the other lost): the one there is acknowledges, no 503."""
    with SentinelRedis(tmp_path / "redis", replicas=1, sentinels=0) as redis_set:
        location = f"redis://{LOOPBACK}:{redis_set.servers[0].port}/0"
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
        with override_settings(CACHES={"default": backend}):  # restored before Redis stops
            cache = SharedCache("default")
            assert cache.add_replicated("jti:b", 10, replicas=2, wait_ms=200) is True
            assert cache.add_replicated("jti:b", 10, replicas=2, wait_ms=200) is False
            key = caches["default"].make_key("jti:b")
        assert redis_set.servers[1].client().exists(key) == 1
