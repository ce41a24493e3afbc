"""Faults in a fleet of API hosts, with requests flowing to every host: what each one loses or lets through.

One fleet (``hosts.running_fleet``: Redis, the provider and three API hosts, each in its own namespace) lives through
four faults in turn, each ``fault_seconds`` long and each followed by a settling pause:

- ``provider_cut``: one host cut off from the provider. It serves from the shared entry that the other hosts keep
  fresh; the unknown kids sent to it only refetch under the fleet's shared cooldown.
- ``redis_cut``: one host cut off from Redis. It serves from its memory and its own fetches (bounded by the retry
  interval), and rejoins Redis when the cut heals.
- ``partition_heals``: one host cut off from both the provider and Redis, then healed.
- ``rotation_during_partition``: one host cut off from the provider while the provider publishes a new key and,
  one key-set lifetime later (as IdentityServer/Duende, Entra ID and Auth0 publish keys ahead of use), signs every
  new token with it. The new key reaches the cut-off host through the shared entry the others refresh. (A key used
  the moment it is published is found by the unknown-kid refetch; under a flood of random kids that refetch may
  have just been spent, so such tokens can be refused for up to ``UNKNOWN_KID_COOLDOWN``: docs/shared-keys.md.)

Throughout, client threads in a namespace of their own send to every host valid tokens of the current signing key,
tokens with a forged signature under a published kid, and tokens naming kids nobody published. Per fault (and for
the pauses between): valid requests lost (any answer but 200), forged accepted (a 200), 5xx. ``soak()`` returns the
figures; tests/project/fleet/test_fleet.py asserts on the short form, bench/fleet_figures.py prints the long one.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.keys.scenarios import forged_kid_tokens
from tests.project.fleet.hosts import KEY_STORE, Fleet, jwks_fetches, running_fleet
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

Figures = dict[str, Any]
#: Every request's deadline (seconds): a host that does not answer in this long has lost the request.
REQUEST_TIMEOUT = 10.0
_TOKENS_PER_KEY = 64


class Traffic:
    """Client threads (in the client namespace), ``threads_per_host`` for each host, until ``stop()``.

    Every tenth request carries a forged signature under the signing kid, every tenth after it a random kid; the
    rest are valid. Each answer is counted under the phase it was sent in; a connection error or a timeout is
    status 0. Each thread sends at most ``max_requests``.
    """

    def __init__(self, fleet: Fleet, key: SigningKey, threads_per_host: int = 2, max_requests: int = 100_000) -> None:
        self.fleet = fleet
        self.phase = "warm"
        self.results: dict[tuple[str, str, str], Counter[int]] = defaultdict(Counter)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._max_requests = max_requests
        self._random_kids = itertools.cycle(forged_kid_tokens(fleet.provider, 4000))
        self.sign_with(key)
        hosts = [api for api in fleet.apis for _ in range(threads_per_host)]
        self._pool = ThreadPoolExecutor(len(hosts), initializer=fleet.client.thread_initializer())
        self._futures = [self._pool.submit(self._run, api.name, fleet.url(api)) for api in hosts]

    def sign_with(self, key: SigningKey) -> None:
        """From now on the valid tokens are signed with ``key`` (a rotation), the forged ones claim its kid."""
        issuer = self.fleet.provider.issuer
        valid = [mint(key, access_claims(issuer, lifetime=900)) for _ in range(_TOKENS_PER_KEY)]
        impostor = SigningKey.rsa(kid=key.kid, fresh=True)  # same kid, a key the provider never published
        forged = [mint(impostor, access_claims(issuer, lifetime=900)) for _ in range(8)]
        self._valid, self._forged = valid, forged  # swapped whole: each thread reads one list or the other

    def _run(self, host: str, url: str) -> None:
        session = requests.Session()
        for i in range(self._max_requests):
            if self._stop.is_set():
                break
            if i % 10 == 3:
                kind, token = "forged", self._forged[i % len(self._forged)]
            elif i % 10 == 7:
                kind, token = "forged", next(self._random_kids)
            else:
                kind, token = "valid", self._valid[i % len(self._valid)]
            phase = self.phase
            try:
                status = session.get(
                    url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
                ).status_code
            except requests.RequestException:
                status = 0
                session.close()
                session = requests.Session()
            with self._lock:
                self.results[phase, host, kind][status] += 1
        session.close()

    def stop(self) -> None:
        self._stop.set()
        for future in self._futures:
            future.result(timeout=REQUEST_TIMEOUT * 3)
        self._pool.shutdown(wait=True)

    def figures(self, phase: str) -> Figures:
        with self._lock:
            rows = {key: Counter(counts) for key, counts in self.results.items() if key[0] == phase}
        valid = Counter[int]()
        forged = Counter[int]()
        lost_by_host: Counter[str] = Counter()
        errors_by_host: Counter[str] = Counter()
        for (_, host, kind), counts in rows.items():
            (valid if kind == "valid" else forged).update(counts)
            errors_by_host[host] += sum(n for status, n in counts.items() if status >= 500)
            if kind == "valid":
                lost_by_host[host] += sum(n for status, n in counts.items() if status != 200)
        return {
            "valid": sum(valid.values()),
            "valid_lost": sum(n for status, n in valid.items() if status != 200),
            "forged": sum(forged.values()),
            "forged_accepted": forged[200],
            "5xx": sum(n for status, n in (valid + forged).items() if status >= 500),
            "statuses": dict(sorted((valid + forged).items())),
            "lost_by_host": {host: n for host, n in sorted(lost_by_host.items()) if n},
            "5xx_by_host": {host: n for host, n in sorted(errors_by_host.items()) if n},
        }


def _phase(traffic: Traffic, name: str, seconds: float) -> None:
    traffic.phase = name
    time.sleep(seconds)


def soak(directory: Path, *, fault_seconds: float = 5.0, settle_seconds: float = 2.0, workers: int = 1) -> Figures:
    """Run the four faults on one fleet; the figures per fault (and ``between``, the pauses), plus totals."""
    first, second = SigningKey.rsa(kid="fleet-key-1", fresh=True), SigningKey.rsa(kid="fleet-key-2", fresh=True)
    started = time.monotonic()
    with running_fleet(directory, workers=workers) as fleet:
        fleet.provider.set_keys(first)
        api1, api2, api3 = fleet.apis[:3]
        provider, redis = fleet.provider_host, fleet.redis
        extra: dict[str, Figures] = {}
        traffic = Traffic(fleet, first)
        try:
            _phase(traffic, "warm", settle_seconds)

            # 1. api1 cut off from the provider.
            before = jwks_fetches(fleet.provider)
            fleet.cut(api1, provider)
            _phase(traffic, "provider_cut", fault_seconds)
            fleet.heal(api1, provider)
            fetched = jwks_fetches(fleet.provider) - before
            extra["provider_cut"] = {"jwks_fetches_by_others": sum(fetched.values())}
            _phase(traffic, "between", settle_seconds)

            # 2. api2 cut off from Redis: its own fetches, then back to the shared entry.
            before = jwks_fetches(fleet.provider)
            fleet.cut(api2, redis)
            _phase(traffic, "redis_cut", fault_seconds)
            own = (jwks_fetches(fleet.provider) - before)[api2.address]
            fleet.heal(api2, redis)
            healed = time.monotonic()
            rejoined_s = _until(lambda: fleet.redis_clients()[api2.address] > 0, 15)
            extra["redis_cut"] = {
                "own_jwks_fetches": own,
                "own_fetch_bound": _fetch_bound(fault_seconds, workers),
                "rejoined_redis_s": rejoined_s if rejoined_s is None else round(rejoined_s, 2),
            }
            _phase(traffic, "between", max(0.0, settle_seconds - (time.monotonic() - healed)))

            # 3. api3 cut off from everything but its clients, then healed.
            fleet.cut(api3, provider)
            fleet.cut(api3, redis)
            _phase(traffic, "partition_heals", fault_seconds)
            fleet.heal(api3, provider)
            fleet.heal(api3, redis)
            rejoined_s = _until(lambda: fleet.redis_clients()[api3.address] > 0, 15)
            extra["partition_heals"] = {"rejoined_redis_s": rejoined_s if rejoined_s is None else round(rejoined_s, 2)}
            _phase(traffic, "between", settle_seconds)

            # 4. A rotation while api1 cannot reach the provider: the new key reaches it through the shared entry.
            fleet.cut(api1, provider)
            _phase(traffic, "rotation_during_partition", fault_seconds / 3)
            fleet.provider.set_keys(first, second)
            _phase(traffic, "rotation_during_partition", KEY_STORE["DEFAULT_TTL"] + KEY_STORE["LOCAL_TTL"])
            traffic.sign_with(second)
            _phase(traffic, "rotation_during_partition", fault_seconds * 2 / 3)
            fleet.heal(api1, provider)
            _phase(traffic, "between", settle_seconds)
        finally:
            traffic.stop()
        phases = ["warm", "provider_cut", "redis_cut", "partition_heals", "rotation_during_partition", "between"]
        figures: Figures = {name: {**traffic.figures(name), **extra.get(name, {})} for name in phases}
        tracebacks = sum(fleet.log(api).count("Traceback") for api in fleet.apis)
    totals = ("valid", "valid_lost", "forged", "forged_accepted", "5xx")
    figures["total"] = {key: sum(figures[name][key] for name in phases) for key in totals}
    figures["meta"] = {
        "hosts": len(fleet.apis),
        "workers_per_host": workers,
        "fault_s": fault_seconds,
        "tracebacks_in_logs": tracebacks,
        "wall_s": round(time.monotonic() - started, 1),
    }
    return figures


def _fetch_bound(seconds: float, workers: int) -> int:
    """The most fetches a host cut off from Redis may make: per worker, one per soft lifetime (its set expires)
    and one per unknown-kid cooldown (the random kids), plus one of each at the edges."""
    per_worker = seconds / KEY_STORE["DEFAULT_TTL"] + seconds / KEY_STORE["UNKNOWN_KID_COOLDOWN"] + 2
    return int(workers * per_worker)


def _until(condition: Any, timeout: float) -> float | None:
    """Seconds until ``condition()`` holds (polled every 0.1 s), or ``None`` past ``timeout``."""
    started = time.monotonic()
    for _ in range(int(timeout / 0.1) + 1):
        try:
            if condition():
                return time.monotonic() - started
        except Exception:  # Redis not answering yet: keep polling until the deadline
            pass
        time.sleep(0.1)
    return None


def format_figures(figures: Figures) -> str:
    lines = []
    for name, values in figures.items():
        lines.append(f"{name}:")
        for key, value in values.items():
            lines.append(f"  {key:<26} {value}")
    return "\n".join(lines)
