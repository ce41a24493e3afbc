"""One host cut off from the provider must not stop the others from fetching a rotated key.

Two ``KeyStore`` objects over one cache play two hosts (``network_place`` tells them apart, as the host name,
boot id and network namespace do in production). The provider answers 503 while host A fetches (A's route is
down) and serves the rotated set when host B fetches. The fleet version, with real hosts in network namespaces
and an iptables partition, is tests/project/fleet.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from jwks_auth.conf.settings import issuer_configs
from jwks_auth.exceptions import KeysUnavailable, UnknownKey
from jwks_auth.keys.store import KeyStore, KeyStoreSettings
from jwks_auth.utils.backoff import Backoff
from jwks_auth.utils.network_place import network_place

pytestmark = pytest.mark.django_db(databases=[])


def host(place: str) -> KeyStore:
    return KeyStore(issuer_configs()[0], dataclasses.replace(KeyStoreSettings.from_settings(), network_place=place))


@pytest.fixture
def rotated(provider: Any, jwks_config: Any, signing_key: Any, other_key: Any) -> Any:
    """Every host holds the first key; then the provider rotates to ``other_key``, unreachable from host A."""
    jwks_config(KEY_STORE={"RETRY_INTERVAL": 1, "UNKNOWN_KID_COOLDOWN": 30, "LOCAL_TTL": 30})
    hosts = {name: host(name) for name in ("host-a", "host-b", "host-c")}
    for store in hosts.values():
        store.get_key(signing_key.kid, "RS256")
    provider.set_keys(signing_key, other_key)
    provider.failure = 503
    with pytest.raises((UnknownKey, KeysUnavailable)):
        hosts["host-a"].get_key(other_key.kid, "RS256")  # A's fetch fails: its own route
    provider.failure = None
    return hosts


def test_another_host_fetches_the_rotated_key_after_one_host_failed(
    rotated: Any, provider: Any, other_key: Any
) -> None:
    hits = provider.jwks_hits
    key, _ = rotated["host-b"].get_key(other_key.kid, "RS256")
    assert key is not None and provider.jwks_hits == hits + 1
    # C reads B's set from the shared cache: the fleet still fetched once for the new kid.
    rotated["host-c"].get_key(other_key.kid, "RS256")
    assert provider.jwks_hits == hits + 1


def test_the_cut_off_host_uses_the_set_another_host_fetched(rotated: Any, provider: Any, other_key: Any) -> None:
    rotated["host-b"].get_key(other_key.kid, "RS256")
    provider.failure = 503  # still cut off
    time.sleep(1.1)  # A's own pause (RETRY_INTERVAL) and its unconfirmed refusal of the kid end
    key, _ = rotated["host-a"].get_key(other_key.kid, "RS256")
    assert key is not None


def test_workers_of_the_failing_host_share_its_pause(rotated: Any, provider: Any, other_key: Any) -> None:
    hits = provider.jwks_hits
    with pytest.raises((UnknownKey, KeysUnavailable)):
        host("host-a").get_key(other_key.kid, "RS256")  # another worker of host A: paused, no fetch
    assert provider.jwks_hits == hits


def test_two_hosts_failing_pause_the_whole_fleet(rotated: Any, provider: Any, other_key: Any) -> None:
    provider.failure = 503
    with pytest.raises((UnknownKey, KeysUnavailable)):
        rotated["host-b"].get_key(other_key.kid, "RS256")  # B fails too: the provider is down, not A's route
    hits = provider.jwks_hits
    provider.failure = None
    with pytest.raises((UnknownKey, KeysUnavailable)):
        rotated["host-c"].get_key(other_key.kid, "RS256")
    assert provider.jwks_hits == hits


class Slot:
    def __init__(self) -> None:
        self.value: object = None

    def get(self) -> object:
        return self.value

    def set(self, value: object, timeout: int | None) -> None:
        self.value = value

    def delete(self) -> None:
        self.value = None


def test_a_pause_names_the_places_that_failed_and_holds_where_it_should() -> None:
    shared = Slot()
    now = time.time()
    a, b, c = (Backoff(5, shared, place) for place in ("a", "b", "c"))
    a.fail(now, "timeout")
    assert a.remaining(now) > 0 and Backoff(5, shared, "a").remaining(now) > 0  # a's other workers
    assert b.remaining(now) == 0 and c.remaining(now) == 0
    b.fail(now, "timeout")
    assert c.remaining(now) > 0  # two places agree
    c.succeed()
    assert a.remaining(now + 6) == 0 and shared.value is None


def test_a_pause_without_places_or_with_garbage_places_holds_everywhere() -> None:
    shared = Slot()
    now = time.time()
    for places in (None, "a", [1, 2], []):
        shared.value = {"until": now + 3, "error": "x"} if places is None else {"until": now + 3, "places": places}
        assert Backoff(5, shared, "z").remaining(now) > 0


def test_the_place_is_the_same_in_every_call_and_short() -> None:
    assert network_place() == network_place() and len(network_place()) == 16


def test_a_turn_given_back_is_only_the_one_this_process_took() -> None:
    from jwks_auth.keys.store.namespace import Namespace, Slot
    from jwks_auth.keys.store.unknown_kids import UnknownKidGate
    from jwks_auth.utils.shared_cache import SharedCache

    namespace = Namespace(SharedCache("default"), "give-back-test")
    ours, theirs = UnknownKidGate(namespace, 30), UnknownKidGate(namespace, 30)
    assert ours.take_shared_turn()
    ours.give_back_shared_turn()
    assert namespace.get(Slot.COOLDOWN) is None  # ours: given back
    assert ours.take_shared_turn()
    namespace.delete(Slot.COOLDOWN)  # our window ended; another worker takes the next one
    assert theirs.take_shared_turn()
    ours.give_back_shared_turn()
    assert namespace.get(Slot.COOLDOWN) is not None  # theirs stays
