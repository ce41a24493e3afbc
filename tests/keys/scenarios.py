"""The multi-worker scenarios of the key store, each returning its figures.

Every scenario runs a real redis-server, ``gunicorn tests.wsgi:application``
with sync workers sharing that Redis, and a ``JWKSProvider`` in this process;
it counts JWKS fetches at the provider and responses by status at the client.
``tests/keys/test_multiprocess.py`` asserts on the figures and
``bench/keystore_figures.py`` prints them.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.jwks_server import JWKS_PATH, JWKSProvider
from tests.support.keys import SigningKey, b64url
from tests.support.processes import Gunicorn, RedisServer, Tally, api_env, call_me, fire_at_once
from tests.support.tokens import access_claims, mint

WORKERS = 4

#: Short timings for every scenario (seconds); each scenario overrides some.
BASE_OVERRIDES: dict[str, Any] = {
    "JWKS_DEFAULT_TTL": 600,
    "JWKS_MIN_TTL": 1,
    "JWKS_MAX_TTL": 600,
    "JWKS_STALE_TTL": 600,
    "JWKS_REFRESH_AHEAD": 0.5,
    "JWKS_RETRY_INTERVAL": 1,
    "LOCAL_TTL": 1,
    "UNKNOWN_KID_COOLDOWN": 2,
    "HTTP_TIMEOUT": [1, 2],
}

Figures = dict[str, Any]


class Keys:
    """The signing keys the scenarios use (generated once per process)."""

    _keys: dict[str, SigningKey] = {}

    @classmethod
    def get(cls, kid: str) -> SigningKey:
        if kid not in cls._keys:
            cls._keys[kid] = SigningKey.rsa(kid=kid)
        return cls._keys[kid]


def token(provider: JWKSProvider, key: SigningKey) -> str:
    return mint(key, access_claims(provider.issuer))


def forged_kid_tokens(provider: JWKSProvider, count: int) -> list[str]:
    """Well-formed tokens naming random kids (an attacker cannot sign them; the signature is junk)."""
    payload = b64url(json.dumps(access_claims(provider.issuer)).encode())
    signature = b64url(os.urandom(256))
    tokens = []
    for _ in range(count):
        header = {"alg": "RS256", "kid": secrets.token_urlsafe(12), "typ": "at+jwt"}
        tokens.append(f"{b64url(json.dumps(header).encode())}.{payload}.{signature}")
    return tokens


class FetchClock:
    """Wraps the provider's JWKS route to record when each successful fetch was answered."""

    def __init__(self, provider: JWKSProvider) -> None:
        self.times: list[float] = []
        inner = provider.routes[JWKS_PATH]

        def route() -> Any:
            result = inner()
            self.times.append(time.time())
            return result

        provider.routes[JWKS_PATH] = route

    @property
    def last(self) -> float:
        return self.times[-1]


@contextmanager
def api_stack(
    directory: Path, provider: JWKSProvider, overrides: dict[str, Any], workers: int = WORKERS
) -> Iterator[tuple[RedisServer, Gunicorn]]:
    settings = {**BASE_OVERRIDES, **overrides}
    with RedisServer(directory / "redis") as redis:
        env = api_env(provider.issuer, directory / "var", redis.url, settings)
        with Gunicorn(env, directory, workers=workers) as api:
            yield redis, api


@contextmanager
def running_provider(*keys: SigningKey) -> Iterator[JWKSProvider]:
    provider = JWKSProvider()
    provider.set_keys(*keys)
    try:
        yield provider
    finally:
        provider.stop()


def until_every_worker(
    api: Gunicorn, make_token: Callable[[], str], expected: int, tally: Tally, rounds: int = 10, batch: int = 32
) -> set[int]:
    """Fire batches at once until every worker answered ``expected`` (or ``rounds`` run out)."""
    mark = len(api.access())
    for _ in range(rounds):
        fire_at_once(api.url, [make_token() for _ in range(batch)], batch, tally)
        served = api.pids("/me", expected, since=mark)
        if len(served) >= api.workers:
            break
    return api.pids("/me", expected, since=mark)


def log_count(api: Gunicorn, text: str) -> int:
    return sum(text in line for line in api.logs().splitlines())


def _result(name: str, **figures: Any) -> Figures:
    return {"scenario": name, **figures}


# -- (1) cold start ---------------------------------------------------------------------
def cold_start(directory: Path, requests: int = 96, threads: int = 32) -> Figures:
    """Cold caches everywhere, then ``threads`` requests released together at all workers."""
    key = Keys.get("rsa-key-1")
    with running_provider(key) as provider, api_stack(directory, provider, {}) as (_, api):
        provider.delay = 0.5  # a slow provider: every worker's first request arrives during the fetch
        provider.reset_counts()
        mark = len(api.access())
        tally = Tally()
        started = time.monotonic()
        fire_at_once(api.url, [token(provider, key) for _ in range(requests)], threads, tally)
        duration = time.monotonic() - started
        return _result(
            "cold start",
            workers=api.workers,
            requests=tally.total,
            ok=tally.statuses[200],
            failed=tally.not_ok(),
            errors_500=tally.count(500),
            jwks_fetches=provider.jwks_hits,
            discovery_fetches=provider.discovery_hits,
            workers_served=len(api.pids("/me", 200, since=mark)),
            duration_s=round(duration, 2),
        )


# -- (2) rotation -------------------------------------------------------------------------
def rotation(directory: Path) -> Figures:
    """A key is added (tokens signed with it accepted at once), then the old one removed."""
    old, new = Keys.get("rsa-key-1"), Keys.get("rsa-key-2")
    cooldown = BASE_OVERRIDES["UNKNOWN_KID_COOLDOWN"]
    with running_provider(old) as provider, api_stack(directory, provider, {}) as (_, api):
        warm = Tally()
        until_every_worker(api, lambda: token(provider, old), 200, warm)
        warm_fetches = provider.jwks_hits

        # The provider publishes a new key; tokens signed with it hit every worker at once.
        provider.set_keys(old, new)
        provider.reset_counts()
        added = Tally()
        started = time.monotonic()
        new_ok_workers = until_every_worker(api, lambda: token(provider, new), 200, added)
        add_duration = time.monotonic() - started
        add_fetches = provider.jwks_hits
        old_after_add = Tally()
        fire_at_once(api.url, [token(provider, old) for _ in range(16)], 16, old_after_add)

        # The provider drops the old key; the set is refreshed once (a token naming a kid
        # nobody knows, after the unknown-kid cooldown), then every worker refuses the old key.
        provider.set_keys(new)
        time.sleep(cooldown + 0.3)
        provider.reset_counts()
        probe = call_me(api.url, forged_kid_tokens(provider, 1)[0])
        remove_fetches = provider.jwks_hits
        time.sleep(BASE_OVERRIDES["LOCAL_TTL"] + 0.5)  # every worker re-reads the shared set
        removed = Tally()
        old_refused_workers = until_every_worker(api, lambda: token(provider, old), 401, removed)
        new_after_remove = Tally()
        fire_at_once(api.url, [token(provider, new) for _ in range(16)], 16, new_after_remove)
        return _result(
            "rotation",
            workers=api.workers,
            warm_fetches=warm_fetches,
            add_requests=added.total,
            add_failed=added.not_ok(),
            add_jwks_fetches=add_fetches,
            add_workers_accepting_new_key=len(new_ok_workers),
            add_duration_s=round(add_duration, 2),
            old_key_failed_after_add=old_after_add.not_ok(),
            probe_status=probe,
            remove_jwks_fetches=remove_fetches,
            old_key_requests=removed.total,
            old_key_401=removed.statuses[401],
            workers_refusing_old_key=len(old_refused_workers),
            new_key_failed_after_remove=new_after_remove.not_ok(),
            errors_500=sum(t.count(500) for t in (warm, added, old_after_add, removed, new_after_remove)),
            extra_fetches_after_remove=provider.jwks_hits - remove_fetches,
        )


# -- (3) provider outage ---------------------------------------------------------------------
def outage(directory: Path, threads: int = 8) -> Figures:
    """The provider stops for longer than the soft lifetime: known kids keep working until the hard limit."""
    soft, hard, retry = 2, 8, 1
    key = Keys.get("rsa-key-1")
    overrides = {"JWKS_DEFAULT_TTL": soft, "JWKS_STALE_TTL": hard, "JWKS_RETRY_INTERVAL": retry, "LOCAL_TTL": 0.5}
    with running_provider(key) as provider, api_stack(directory, provider, overrides) as (_, api):
        clock = FetchClock(provider)
        pool = [token(provider, key) for _ in range(40)]
        warm = Tally()
        until_every_worker(api, lambda: token(provider, key), 200, warm)
        provider.stop()
        stopped_at = time.time()
        time.sleep(0.3)  # a fetch answered just before the stop is the last one
        last_fetch = clock.last
        hard_expiry = last_fetch + hard  # the set fetched last is served until then
        during = Tally()
        _traffic(api.url, pool, threads, during, until=hard_expiry - 1.0)
        served_until = time.time()

        hard_expiry = clock.last + hard  # in case a fetch was answered after all
        time.sleep(max(0.0, hard_expiry + 1.5 - time.time()))
        after = Tally()
        fire_at_once(api.url, pool[:16], 16, after)

        provider.reset_counts()
        provider.start()
        time.sleep(retry + 1.5)  # the pause after the last failed fetch ends
        recovered = Tally()
        fire_at_once(api.url, [token(provider, key) for _ in range(16)], 16, recovered)
        return _result(
            "provider outage",
            workers=api.workers,
            soft_ttl_s=soft,
            hard_ttl_s=hard,
            outage_served_s=round(served_until - stopped_at, 2),
            outage_past_soft_expiry_s=round(served_until - (last_fetch + soft), 2),
            requests_during_outage=during.total,
            failed_during_outage=during.not_ok(),
            stale_log_lines=log_count(api, "Serving stale signing keys"),
            failed_fetch_log_lines=log_count(api, "Fetching signing keys for"),
            after_hard_limit_requests=after.total,
            after_hard_limit_503=after.statuses[503],
            after_hard_limit_statuses=dict(after.statuses),
            after_hard_limit_503_without_retry_after=after.retry_after_missing,
            recovered_ok=recovered.statuses[200],
            recovered_failed=recovered.not_ok(),
            recovery_jwks_fetches=provider.jwks_hits,
            errors_500=sum(t.count(500) for t in (warm, during, after, recovered)),
        )


def _traffic(
    url: str,
    tokens: list[str],
    threads: int,
    tally: Tally,
    until: float | None = None,
    events: list[tuple[float, Callable[[], None]]] = (),
    linger: float = 0.0,
) -> None:
    """Requests from ``threads`` threads, back to back, until ``until`` (epoch seconds).

    ``events`` run in order at their times, in this thread; with ``until`` None
    the traffic stops ``linger`` seconds after the last one.
    """
    stop = threading.Event()

    def worker(index: int) -> None:
        i = index
        while not stop.is_set() and (until is None or time.time() < until):
            call_me(url, tokens[i % len(tokens)], tally)
            i += threads

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(worker, n) for n in range(threads)]
        try:
            for when, action in sorted(events, key=lambda item: item[0]):
                time.sleep(max(0.0, when - time.time()))
                action()
            if until is None:
                time.sleep(linger)
        finally:
            if until is None:
                stop.set()
        for future in futures:
            future.result()


# -- (4) a flood of unknown kids ---------------------------------------------------------------
def kid_flood(
    directory: Path, forged: int = 1000, valid_every: int = 4, seconds: float = 6.0, threads: int = 16
) -> Figures:
    """1,000 tokens with random kids, spread over a few cooldown windows, mixed with valid tokens."""
    cooldown = BASE_OVERRIDES["UNKNOWN_KID_COOLDOWN"]
    key = Keys.get("rsa-key-1")
    with running_provider(key) as provider, api_stack(directory, provider, {}) as (_, api):
        warm = Tally()
        until_every_worker(api, lambda: token(provider, key), 200, warm)
        provider.reset_counts()
        forged_tokens = forged_kid_tokens(provider, forged)
        valid_tokens = [token(provider, key) for _ in range(forged // valid_every)]
        bad, good = Tally(), Tally()
        batches = max(1, math.ceil(seconds))
        per_batch = math.ceil(forged / batches)
        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            for b in range(batches):
                batch_start = started + b * (seconds / batches)
                time.sleep(max(0.0, batch_start - time.monotonic()))
                chunk = forged_tokens[b * per_batch : (b + 1) * per_batch]
                jobs = []
                for i, forged_token in enumerate(chunk):
                    jobs.append(pool.submit(call_me, api.url, forged_token, bad))
                    if i % valid_every == 0:
                        jobs.append(
                            pool.submit(
                                call_me,
                                api.url,
                                valid_tokens[(b * per_batch + i) // valid_every % len(valid_tokens)],
                                good,
                            )
                        )
                for job in jobs:
                    job.result()
        duration = time.monotonic() - started
        fetches = provider.jwks_hits
        return _result(
            "unknown-kid flood",
            workers=api.workers,
            cooldown_s=cooldown,
            duration_s=round(duration, 2),
            forged_requests=bad.total,
            forged_401=bad.statuses[401],
            forged_other=bad.total - bad.statuses[401],
            valid_requests=good.total,
            valid_ok=good.statuses[200],
            valid_failed=good.not_ok(),
            jwks_fetches=fetches,
            cooldown_windows=math.floor(duration / cooldown) + 1,
            errors_500=bad.count(500) + good.count(500) + warm.count(500),
        )


# -- (5) Redis stopped mid-run ------------------------------------------------------------------
def redis_down(directory: Path, threads: int = 8) -> Figures:
    """Redis stops under load, a new worker starts while it is down, then Redis comes back."""
    soft = 2
    key = Keys.get("rsa-key-1")
    overrides = {"JWKS_DEFAULT_TTL": soft, "LOCAL_TTL": 0.5}
    with running_provider(key) as provider, api_stack(directory, provider, overrides) as (redis, api):
        pool = [token(provider, key) for _ in range(40)]
        warm = Tally()
        until_every_worker(api, lambda: token(provider, key), 200, warm)
        first_pids = set(api.worker_pids())
        provider.reset_counts()
        mark = len(api.access())
        marks: dict[str, float] = {}

        def stop_redis() -> None:
            marks["redis_stopped"] = time.time()
            marks["fetches_before"] = provider.jwks_hits
            redis.stop()

        def add_worker() -> None:
            os.kill(api.process.pid, signal.SIGTTIN)  # gunicorn starts one more (cold) worker

        def start_redis() -> None:
            # Once the new worker has answered (it boots slowly on a busy machine), or after 30 s.
            deadline = time.time() + 30
            while time.time() < deadline and not (set(api.worker_pids()) - first_pids) & api.pids("/me", 200, mark):
                time.sleep(0.1)
            marks["fetches_while_down"] = provider.jwks_hits - marks["fetches_before"]
            marks["rows_while_down"] = len(api.access())
            marks["redis_started"] = time.time()
            redis.start()

        tally = Tally()
        t0 = time.time()
        _traffic(
            api.url,
            pool,
            threads,
            tally,
            events=[(t0 + 1.5, stop_redis), (t0 + 1.7, add_worker), (t0 + 5.0, start_redis)],
            linger=2.5,
        )
        new_pids = set(api.worker_pids()) - first_pids
        # The new worker answered /me with 200 while Redis was down: it fetched directly.
        new_worker_ok = len(new_pids & api.pids("/me", 200, since=mark, until=int(marks["rows_while_down"])))
        return _result(
            "redis stopped",
            workers=api.workers,
            requests=tally.total,
            ok=tally.statuses[200],
            failed=tally.not_ok(),
            errors_500=tally.count(500) + warm.count(500),
            redis_down_s=round(marks["redis_started"] - marks["redis_stopped"], 2),
            jwks_fetches_while_down=marks["fetches_while_down"],
            jwks_fetches_total=provider.jwks_hits,
            workers_started_while_down=len(new_pids),
            of_which_served_200_while_down=new_worker_ok,
            cache_unavailable_log_lines=log_count(api, "Cache 'default' unavailable"),
        )


SCENARIOS: dict[str, Callable[[Path], Figures]] = {
    "cold_start": cold_start,
    "rotation": rotation,
    "outage": outage,
    "kid_flood": kid_flood,
    "redis_down": redis_down,
}


def format_figures(figures: Figures) -> str:
    name = figures["scenario"]
    rest = ", ".join(f"{k}={v}" for k, v in figures.items() if k != "scenario")
    return f"[keystore figures] {name}: {rest}"
