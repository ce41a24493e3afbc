"""What Shared Signals events say about tokens: the shared state and each process's view of it.

The receiver (``jwks_auth.ssf``) turns an event into a ``Record`` per
subject: tokens of that subject issued before ``before`` are refused
(``session-revoked``, ``credential-change``, ``account-disabled``), and
tokens issued before ``claims_at`` whose claims differ from ``claims`` are
refused (``token-claims-change``, ``assurance-level-change``) until a newer
token arrives. A token without a usable ``iat`` cannot be shown to be newer:
while its subject has a record, it is refused.

The records live in the shared cache (``CACHE_ALIAS``), one key per subject,
``<CACHE_KEY_PREFIX>:ssf:subject:<sha-256 of the subject>`` (no claim text in a
key), each for ``SHARED_SIGNALS["STATE_TTL"]`` seconds: as long as a token
issued before the event can live, so the state cannot outgrow that window.

The request path asks no one per request. Each process holds the records of
the subjects it has seen (or that they have none) in a bounded map, and
re-reads one shared number, the epoch, at most every
``SHARED_SIGNALS["EPOCH_INTERVAL"]`` seconds. A writer stores the record
first, then increments the epoch, then notes which subjects that increment
changed; a process that sees the epoch move forgets those subjects (or all
of them, when the notes are gone or too many), and reads a forgotten
subject's record again on its next token. So a cached, valid token costs a
dict lookup, and an event is seen everywhere within the epoch interval.

A shared cache that cannot answer is not a reason to refuse every token: a
process keeps its last view (and logs the failure), never caches a subject
it could not read, and compares the epoch again once the cache is back.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jwks_auth.conf.settings import FromSettings, issuer_configs, jwks_settings
from jwks_auth.exceptions import RevokedToken
from jwks_auth.reasons import Reason
from jwks_auth.utils.backoff import Backoff
from jwks_auth.utils.blocking import WouldBlock
from jwks_auth.utils.shared_cache import SharedCache

logger = logging.getLogger("jwks_auth.validation.revocations")

#: Subject kinds a token is matched by: its ``sub``, its session (``sid``), its ``email``.
SUBJECT, SESSION, EMAIL = "sub", "sid", "email"
#: Changes noted per epoch step kept this long; a process idle for longer forgets every subject.
CHANGE_TTL = 120
#: A process more than this many steps behind forgets every subject rather than reading each step.
MAX_STEPS_READ = 256
#: Claims one record may pin (``token-claims-change``); more are dropped by the receiver.
MAX_CLAIMS = 16
#: Seconds the request path leaves the shared cache alone after a failed read.
READ_PAUSE = 1.0
_START = 1 << 40  # the epoch starts at a random number below this: a recreated epoch never repeats an old one


def subject_key(kind: str, issuer: str, value: str) -> str:
    """The hashed name of a subject: its kind, the issuer of its tokens and its identifier (an email's in
    lower case: matched case-insensitively)."""
    text = "\x00".join((kind, issuer, value.lower() if kind == EMAIL else value))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


@dataclass(frozen=True)
class Record:
    """What events said about one subject; times are seconds since the epoch, 0 for "nothing"."""

    before: float = 0.0
    claims: Mapping[str, Any] = field(default_factory=dict)
    claims_at: float = 0.0

    def merged(self, other: Record) -> Record:
        """Both records' effects: the later times, and the newer event's claims over the older's."""
        if other.claims_at >= self.claims_at:
            claims = {**self.claims, **other.claims}
        else:
            claims = {**other.claims, **self.claims}
        return Record(max(self.before, other.before), claims, max(self.claims_at, other.claims_at))

    def dump(self) -> dict[str, Any]:
        return {"b": self.before, "c": dict(self.claims), "ca": self.claims_at}

    @classmethod
    def load(cls, value: object) -> Record | None:
        """A record read from the cache; ``None`` for anything that is not one (written by whom?)."""
        if not isinstance(value, dict):
            return None
        before, claims, claims_at = as_time(value.get("b")), value.get("c"), as_time(value.get("ca"))
        if before is None or claims_at is None or not isinstance(claims, dict):
            return None
        return cls(before, dict(claims), claims_at)

    def refuses(self, claims: Mapping[str, Any]) -> Reason | None:
        """Why the token with ``claims`` is refused under this record, or ``None``."""
        issued_at = as_time(claims.get("iat"))
        if self.before and (issued_at is None or issued_at < self.before):
            return Reason.SIGNAL_REVOKED
        if self.claims and (issued_at is None or issued_at < self.claims_at):
            for name, value in self.claims.items():
                if name in claims and claims[name] != value:
                    return Reason.SIGNAL_CLAIMS
        return None


def as_time(value: object) -> float | None:
    """A claim as seconds since the epoch (a finite, non-negative JSON number below year 5138), else ``None``."""
    if (type(value) is int or type(value) is float) and 0 <= value < 1e11:  # NaN fails both comparisons
        return float(value)
    return None


_NONE = Record()  # a subject the shared state has no record of


class SharedRevocations:
    """The shared records (writer side) and this process's view of them (``check``, on every token)."""

    def __init__(
        self,
        cache: SharedCache,
        prefix: str,
        *,
        state_ttl: float,
        epoch_interval: float,
        local_size: int,
    ) -> None:
        self.cache = cache
        self.prefix = f"{prefix}:ssf"
        self.state_ttl = max(1, int(state_ttl))
        self.epoch_interval = float(epoch_interval)
        self.local_size = max(1, int(local_size))
        self._epoch_key = f"{self.prefix}:epoch"
        self._lock = threading.Lock()
        self._epoch: object = None
        self._next_read = 0.0  # time.monotonic() of the next epoch read
        self._known: OrderedDict[str, Record] = OrderedDict()
        #: Moves whenever subjects are forgotten: a read that started before it is not kept.
        self._generation = 0
        self._pause = Backoff(READ_PAUSE)

    # -- the request path -----------------------------------------------------------------------
    def check(self, claims: Mapping[str, Any], issuer: str, *, blocking: bool = True) -> None:
        """``RevokedToken`` if an event refuses the token; ``WouldBlock`` for a cache read unless ``blocking``."""
        if time.monotonic() >= self._next_read:
            if not blocking:
                raise WouldBlock(("ssf-epoch", id(self)), self.read_epoch)
            self.read_epoch()
        known = self._known
        keys = token_subjects(claims, issuer)
        read: dict[str, Record] = {}
        for key in keys:
            record = read.get(key) or known.get(key)
            if record is None:  # not seen since the epoch moved: read (the token's other subjects too), then decide
                missing = [item for item in keys if item not in known]
                if not blocking:
                    raise WouldBlock(("ssf-subjects", id(self), *missing), functools.partial(self.load, missing))
                # Decided from what was read, not from the map: the map may drop it at once (its bound, another
                # thread's load, a moved epoch).
                read = self.load(missing)
                record = read.get(key)
            if record is not None and record is not _NONE:
                reason = record.refuses(claims)
                if reason is not None:
                    raise RevokedToken(code=reason)

    def read_epoch(self) -> None:
        """Compare the shared epoch with ours; forget the subjects changed since (all, if that cannot be told).

        The cache is read outside the lock (a slow cache must not hold up ``load`` and ``record``), and what
        was read is applied under it only if no other thread applied an epoch meanwhile.
        """
        with self._lock:
            if time.monotonic() < self._next_read:
                return  # another thread just read it
            self._next_read = time.monotonic() + self.epoch_interval
            ours = self._epoch
        found = self._read([self._epoch_key])
        if found is None:
            return  # the cache is down: keep our view, read again next interval
        epoch = found.get(self._epoch_key)
        if epoch == ours:
            return
        changed = self._changes(ours, epoch)
        with self._lock:
            if self._epoch is not ours:
                return  # forget_local, or another thread's newer read, came first
            self._generation += 1
            if changed is None:
                self._known.clear()
            else:
                for key in changed:
                    self._known.pop(key, None)
            self._epoch = epoch

    def load(self, keys: list[str]) -> dict[str, Record]:
        """Read the records of ``keys`` into this process's view and return them (nothing if the cache fails)."""
        generation = self._generation
        found = self._read([self._record_key(key) for key in keys])
        if found is None:
            return {}  # not cached: the next token of these subjects asks again
        records = {key: Record.load(found.get(self._record_key(key))) or _NONE for key in keys}
        with self._lock:
            if generation != self._generation:
                return records  # the epoch moved meanwhile: decide from it, but do not keep what may be older
            for key, record in records.items():
                self._known[key] = record
                self._known.move_to_end(key)
            while len(self._known) > self.local_size:
                self._known.popitem(last=False)
        return records

    def _read(self, keys: list[str]) -> dict[str, object] | None:
        """``get_many`` on the request path; ``None`` without asking during a pause after a failure (a cache
        that is down costs one connect timeout per ``READ_PAUSE``, not one per request)."""
        now = time.monotonic()
        if self._pause.remaining(now) > 0:
            return None
        found = self.cache.get_many(keys)
        if found is None:
            self._pause.fail(now)
        return found

    def _changes(self, ours: object, theirs: object) -> set[str] | None:
        """The subjects changed by the steps from ``ours`` to ``theirs``; ``None``: every subject, maybe."""
        if not (type(ours) is int and type(theirs) is int and 0 < theirs - ours <= MAX_STEPS_READ):
            return None
        step_keys = [f"{self.prefix}:change:{step}" for step in range(ours + 1, theirs + 1)]
        found = self.cache.get_many(step_keys)
        if found is None or len(found) != len(step_keys):
            return None  # a note expired or is not written yet
        changed: set[str] = set()
        for value in found.values():
            if not isinstance(value, list):
                return None
            changed.update(str(item) for item in value)
        return changed

    # -- the writer side (jwks_auth.ssf) -------------------------------------------------------
    def record(self, changes: Mapping[str, Record]) -> bool:
        """Merge each subject's record into the shared state and announce it; False if the cache failed."""
        if not changes:
            return True
        for key, change in changes.items():
            if not self._merge(key, change):
                return False
        step = self.cache.increment(self._epoch_key, random.randrange(1, _START), self.state_ttl)
        if step is None:
            return False
        # Written after the increment: a reader that sees the step before its note forgets every subject.
        self.cache.set(f"{self.prefix}:change:{step}", sorted(changes), CHANGE_TTL)
        with self._lock:
            self._generation += 1
            for key in changes:
                self._known.pop(key, None)  # this process sees its own events at once
        return True

    def _merge(self, key: str, change: Record) -> bool:
        """Read, merge, write and read back (a concurrent writer's record is merged on the next round)."""
        cache_key = self._record_key(key)
        wanted = change
        for _ in range(3):
            found = self.cache.get_many([cache_key])
            if found is None:
                return False
            wanted = (Record.load(found.get(cache_key)) or _NONE).merged(wanted)
            if not self.cache.set_many({cache_key: wanted.dump()}, self.state_ttl):
                return False
            again = self.cache.get_many([cache_key])
            stored = Record.load(again.get(cache_key)) if again is not None else None
            if stored is not None and stored.merged(wanted) == stored:
                return True
        return False  # contested three times: not known to hold ours, so 503 and the transmitter sends it again

    def _record_key(self, key: str) -> str:
        return f"{self.prefix}:subject:{key}"

    def forget_local(self) -> None:
        """Forget this process's view (tests, and a settings change)."""
        with self._lock:
            self._known.clear()
            self._generation += 1
            self._epoch = None
            self._next_read = 0.0
        self._pause.reset()


def token_subjects(claims: Mapping[str, Any], issuer: str) -> tuple[str, ...]:
    """The subject keys a token answers to: its ``sub``, ``sid`` and ``email`` under its issuer."""
    get = claims.get
    names = (issuer, get("sub"), get("sid"), get("email"))
    try:
        keys = _memo.get(names)
    except TypeError:  # a claim of an unhashable type: no subject of that kind
        names = tuple(value if type(value) is str else None for value in names)  # type: ignore[assignment]
        keys = _memo.get(names)
    if keys is None:
        keys = tuple(
            subject_key(kind, issuer, value)
            for kind, value in zip((SUBJECT, SESSION, EMAIL), names[1:], strict=True)
            if type(value) is str and value
        )
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()  # a flood of distinct subjects: start over rather than grow
        _memo[names] = keys
    return keys


#: Subject keys by (issuer, sub, sid, email): hashed once per process, not per request.
_MEMO_SIZE = 65536
_memo: dict[tuple[Any, ...], tuple[str, ...]] = {}


def records_from_settings() -> SharedRevocations | None:
    """The shared records when ``SHARED_SIGNALS`` names a transmitter; ``None``: no check at all."""
    group = jwks_settings.SHARED_SIGNALS
    if not group.get("TRANSMITTERS"):
        return None
    issuer_configs()  # every setting validated first: a bad value is a ConfigurationError naming it, never a 500
    return SharedRevocations(
        SharedCache(jwks_settings.CACHE_ALIAS),
        jwks_settings.CACHE_KEY_PREFIX,
        state_ttl=group["STATE_TTL"],
        epoch_interval=group["EPOCH_INTERVAL"],
        local_size=group["LOCAL_SUBJECTS"],
    )


_records = FromSettings(lambda: _Holder(records_from_settings()))


@dataclass(frozen=True)
class _Holder:
    records: SharedRevocations | None


def get_revocations() -> SharedRevocations | None:
    """This process's ``SharedRevocations``, built from the settings once; ``None`` without transmitters."""
    return _records.get().records


def subjects_of(kind: str, issuer: str, values: Iterable[str]) -> list[str]:
    """``subject_key`` of each value (the receiver names subjects the way tokens are matched)."""
    return [subject_key(kind, issuer, value) for value in values]
