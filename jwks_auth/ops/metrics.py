"""Prometheus metrics for token validation and the key store.

Optional: without ``prometheus_client`` installed, or with ``METRICS`` off,
``get_recorder()`` returns a recorder whose methods do nothing. Labels are
low-cardinality by construction: configured issuer identifiers (a refused
token's own ``iss`` is never a label), reason codes and fixed outcomes.

With several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory before the server starts (prometheus-client's multiprocess mode);
the metrics view then adds up the values of every worker.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from jwks_auth import signals
from jwks_auth.conf.settings import jwks_settings, on_reset
from jwks_auth.utils.recorder import NullRecorder, forget, install
from jwks_auth.validation.verified_cache import take_lookup_counts

logger = logging.getLogger("jwks_auth.ops.metrics")


def _import_prometheus() -> ModuleType | None:
    try:
        import prometheus_client
    except ImportError:  # the extra is not installed: nothing is recorded
        return None
    return prometheus_client


prometheus_client = _import_prometheus()

#: Histogram buckets of one validation (seconds): a cached token takes
#: microseconds, a first-seen one tens of them, a cold key fetch seconds.
VALIDATION_BUCKETS = (
    0.000005,
    0.00001,
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: The ``issuer`` label of a token refused before its issuer was known.
NO_ISSUER = ""


class PrometheusRecorder(NullRecorder):
    """Counts per request under one lock, then hands the totals to prometheus-client.

    Updating prometheus-client's metrics directly costs about 2 µs a request
    (a lock per value, a bucket search); here a request adds to plain
    numbers and ``flush()`` moves them into the metrics: at each scrape in
    the scraping process, and every ``flush_interval`` seconds from a
    daemon thread in multiprocess mode, where the other workers' figures
    are read from their files (so they are at most that old).
    """

    enabled = True

    def __init__(self, registry: Any = None, flush_interval: float = 1.0) -> None:
        assert prometheus_client is not None
        registry = prometheus_client.REGISTRY if registry is None else registry
        counter, histogram = prometheus_client.Counter, prometheus_client.Histogram
        self.tokens = counter(
            "jwks_auth_tokens",
            "Access tokens looked at, by issuer, result and reason.",
            ["issuer", "result", "reason"],
            registry=registry,
        )
        self.validation = histogram(
            "jwks_auth_validation_seconds",
            "Time to validate one access token.",
            buckets=VALIDATION_BUCKETS,
            registry=registry,
        )
        self.token_cache_lookups = counter(
            "jwks_auth_token_cache_lookups",
            "Lookups in the verified-token cache.",
            ["result"],
            registry=registry,
        )
        self.fetches = counter(
            "jwks_auth_jwks_fetches",
            "Discovery and JWKS fetches, by issuer and outcome.",
            ["issuer", "outcome"],
            registry=registry,
        )
        self.stale = counter(
            "jwks_auth_stale_served",
            "Times keys past their soft lifetime were used.",
            ["issuer"],
            registry=registry,
        )
        self.cache_errors = counter(
            "jwks_auth_cache_errors",
            "Failed calls to the shared Django cache.",
            registry=registry,
        )
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._flushing_arranged = False
        os.register_at_fork(after_in_child=self._after_fork)

    def token(self, issuer: str | None, result: str, reason: str, seconds: float) -> None:
        key = (issuer or NO_ISSUER, result, reason)
        bucket = bisect_left(VALIDATION_BUCKETS, seconds)  # the first bound >= seconds ("le")
        lock = self._lock  # once per request: acquire/release, cheaper than ``with`` (token_cache.get)
        lock.acquire()
        try:
            pending = self._pending
            pending.tokens[key] = pending.tokens.get(key, 0) + 1
            pending.buckets[bucket] += 1
            pending.seconds += seconds
        finally:
            lock.release()
        if not self._flushing_arranged:
            self._arrange_flushing()

    # Like the per-request counts, these only add to plain numbers: nothing on a
    # request's path touches prometheus-client, whose multiprocess files may be
    # unwritable (a missing PROMETHEUS_MULTIPROC_DIR); only flush() can fail.
    def fetch(self, issuer: str, ok: bool) -> None:
        key = (issuer, "ok" if ok else "error")
        with self._lock:
            self._pending.fetches[key] = self._pending.fetches.get(key, 0) + 1

    def stale_served(self, issuer: str) -> None:
        with self._lock:
            self._pending.stale[issuer] = self._pending.stale.get(issuer, 0) + 1

    def cache_error(self) -> None:
        with self._lock:
            self._pending.cache_errors += 1

    def flush(self) -> None:
        """Move the counts taken since the last flush into the prometheus-client metrics."""
        with self._lock:
            pending, self._pending = self._pending, _Pending()
        pending.hits, pending.misses = take_lookup_counts()
        for key, count in pending.tokens.items():
            self.tokens.labels(*key).inc(count)
        for fetch_key, count in pending.fetches.items():
            self.fetches.labels(*fetch_key).inc(count)
        for issuer, count in pending.stale.items():
            self.stale.labels(issuer).inc(count)
        if pending.cache_errors:
            self.cache_errors.inc(pending.cache_errors)
        # Histogram.observe() takes one value at a time; its bucket and sum
        # values take a count (pinned by the tests of the exposed histogram).
        buckets = self.validation._buckets
        for index, count in enumerate(pending.buckets):
            if count:
                buckets[index].inc(count)
        if pending.seconds:
            self.validation._sum.inc(pending.seconds)
        if pending.hits:
            self.token_cache_lookups.labels("hit").inc(pending.hits)
        if pending.misses:
            self.token_cache_lookups.labels("miss").inc(pending.misses)

    def _arrange_flushing(self) -> None:
        with self._lock:
            if self._flushing_arranged:
                return
            self._flushing_arranged = True
        if multiprocess_dir():  # one process alone is flushed by its own scrapes
            try:
                threading.Thread(target=self._flush_forever, name="jwks-metrics-flush", daemon=True).start()
            except RuntimeError:  # no thread to spare: this worker's counts are flushed by its own scrapes only
                logger.warning("Metrics flushing not started: no thread to spare")

    def _after_fork(self) -> None:
        # A forked worker starts from zero: the parent's counts are the parent's to flush.
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._flushing_arranged = False

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.flush_interval)
            try:
                self.flush()
            except Exception:  # never let the flusher die: the next round tries again
                logger.exception("Flushing jwks_auth metrics failed")


@dataclass
class _Pending:
    tokens: dict[tuple[str, str, str], int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * (len(VALIDATION_BUCKETS) + 1))
    seconds: float = 0.0
    hits: int = 0
    misses: int = 0
    fetches: dict[tuple[str, str], int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    cache_errors: int = 0


_NULL = NullRecorder()
_prometheus: PrometheusRecorder | None = None  # metrics register once per process
_recorder: NullRecorder | None = None


def get_recorder() -> NullRecorder:
    """The recorder the settings ask for (``METRICS``), built on first use."""
    global _recorder, _prometheus
    recorder = _recorder
    if recorder is None:
        recorder = _NULL
        if jwks_settings.METRICS and prometheus_client is not None:
            try:
                if _prometheus is None:
                    _prometheus = PrometheusRecorder()
                recorder = _prometheus
            # OSError: the multiprocess files cannot be made; ValueError: a half-built earlier try left its
            # metrics registered. Either way requests go on, unmeasured.
            except (OSError, ValueError) as exc:
                logger.error("Prometheus metrics are off: %s (check PROMETHEUS_MULTIPROC_DIR)", type(exc).__name__)
        _recorder = recorder
    return recorder


@on_reset
def _reset_recorder() -> None:
    global _recorder
    _recorder = None
    forget()  # the lower layers' kept answer too


def multiprocess_dir() -> str | None:
    """The directory of prometheus-client's multiprocess mode, if it is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


class KeySetCollector:
    """``jwks_auth_keys_age_seconds`` and ``jwks_auth_keys`` per issuer, read at scrape time.

    Computed from the shared cache entry (else this process's copy), so every
    worker reports the same set and multiprocess mode needs no gauge files.
    """

    def __init__(self, stores: Callable[[], Iterable[Any]]) -> None:
        self.stores = stores  # given by the caller: this module never reaches for the validator

    def collect(self) -> Iterator[Any]:
        assert prometheus_client is not None
        from prometheus_client.core import GaugeMetricFamily

        age = GaugeMetricFamily("jwks_auth_keys_age_seconds", "Age of the cached key set.", labels=["issuer"])
        count = GaugeMetricFamily("jwks_auth_keys", "Usable keys in the cached key set.", labels=["issuer"])
        now = time.time()
        for store in self.stores():
            snapshot = store.cached()
            if snapshot is not None:
                age.add_metric([store.config.issuer], max(0.0, now - snapshot.fetched_at))
                count.add_metric([store.config.issuer], float(len(snapshot.keyset)))
        yield age
        yield count


def exposition(stores: Callable[[], Iterable[Any]] = tuple) -> tuple[bytes, str]:
    """The metrics text and its content type; every worker's in multiprocess mode.

    ``stores`` gives the key stores whose sets are reported (``KeySetCollector``).
    """
    assert prometheus_client is not None
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    get_recorder()  # the metric families exist (at zero) from the first scrape on
    if _prometheus is not None:
        _prometheus.flush()  # this process's counts, even those taken before METRICS was turned off
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
        registry.register(KeySetCollector(stores))
        return generate_latest(registry), prometheus_client.CONTENT_TYPE_LATEST
    registry.register(KeySetCollector(stores))
    text = generate_latest(prometheus_client.REGISTRY) + generate_latest(registry)
    return text, prometheus_client.CONTENT_TYPE_LATEST


def _on_fetched(sender: Any, issuer: str, **kwargs: Any) -> None:
    get_recorder().fetch(issuer, True)


def _on_fetch_failed(sender: Any, issuer: str, **kwargs: Any) -> None:
    get_recorder().fetch(issuer, False)


def _on_cache_error(sender: Any, **kwargs: Any) -> None:
    get_recorder().cache_error()


signals.jwks_fetched.connect(_on_fetched, dispatch_uid="jwks_auth.ops.metrics.fetched")
signals.jwks_fetch_failed.connect(_on_fetch_failed, dispatch_uid="jwks_auth.ops.metrics.fetch_failed")
signals.cache_failed.connect(_on_cache_error, dispatch_uid="jwks_auth.ops.metrics.cache_failed")


# The key store and the request layer record through jwks_auth.utils.recorder: from now on, into these metrics.
install(get_recorder)
