"""The shared state as several processes see it: one epoch read per interval, subjects read once per change."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.core.cache import caches

from jwks_auth.exceptions import RevokedToken
from jwks_auth.utils.shared_cache import SharedCache
from jwks_auth.validation.revocations import SUBJECT, Record, SharedRevocations, subject_key
from tests.support.counting_cache import CountingCache

pytestmark = pytest.mark.django_db(databases=[])

ISSUER = "https://idp.example"


@pytest.fixture
def counting(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "counting": {"BACKEND": "tests.support.counting_cache.CountingCache", "LOCATION": "ssf-state"},
    }
    caches["counting"].clear()
    CountingCache.reset()
    yield caches["counting"]
    caches["counting"].clear()


def process(interval=0.2, size=1000):
    """One worker's view; each instance stands for a process."""
    return SharedRevocations(SharedCache("counting"), "t", state_ttl=3600, epoch_interval=interval, local_size=size)


def token(sub, iat):
    return {"iss": ISSUER, "sub": sub, "iat": iat}


def test_an_event_written_by_one_process_is_seen_by_another_within_the_interval(counting):
    writer, reader = process(), process()
    old = token("alice", time.time() - 10)
    reader.check(old, ISSUER)  # alice: nothing, remembered
    assert writer.record({subject_key(SUBJECT, ISSUER, "alice"): Record(before=time.time())})
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            reader.check(old, ISSUER)
        except RevokedToken as exc:
            assert exc.code == "signal_revoked"
            break
        time.sleep(0.01)
    else:
        pytest.fail("the reader never saw the event")


def test_a_known_subject_costs_no_cache_call_between_epoch_reads(counting):
    reader = process(interval=60)
    claims = token("bob", time.time())
    reader.check(claims, ISSUER)  # the epoch and bob's record: read once
    CountingCache.reset()
    for _ in range(1000):
        reader.check(claims, ISSUER)
    assert CountingCache.total() == 0


def test_only_the_subjects_an_event_changed_are_read_again(counting):
    writer, reader = process(), process(interval=0)
    writer.record({subject_key(SUBJECT, ISSUER, "z"): Record(before=1.0)})  # the epoch exists (else: all forgotten)
    for name in ("a", "b", "c"):
        reader.check(token(name, time.time()), ISSUER)
    writer.record({subject_key(SUBJECT, ISSUER, "b"): Record(before=time.time() - 100)})
    CountingCache.reset()
    for name in ("a", "b", "c"):
        reader.check(token(name, time.time()), ISSUER)
    # Each check reads the epoch (interval 0); the first also reads the one step's note, then b's record.
    assert CountingCache.calls["get_many"] == 3 + 1 + 1


def test_an_epoch_that_went_away_forgets_everything(counting):
    writer, reader = process(), process(interval=0)
    reader.check(token("a", time.time() - 5), ISSUER)
    writer.record({subject_key(SUBJECT, ISSUER, "a"): Record(before=time.time())})
    counting.delete("t:ssf:change:" + str(counting.get("t:ssf:epoch")))  # the note expired
    with pytest.raises(RevokedToken) as refused:
        reader.check(token("a", time.time() - 5), ISSUER)
    assert refused.value.code == "signal_revoked"


def test_a_flood_of_subjects_keeps_the_process_bounded(counting):
    reader = process(size=50)
    for index in range(500):
        reader.check(token(f"user-{index}", time.time()), ISSUER)
    assert len(reader._known) <= 50


def test_a_cache_that_fails_keeps_the_last_view_and_caches_no_subject(counting, settings):
    reader = process(interval=0)
    writer = process()
    writer.record({subject_key(SUBJECT, ISSUER, "x"): Record(before=time.time())})
    reader.cache = SharedCache("missing-alias")  # every call fails
    reader.check(token("x", time.time() - 5), ISSUER)  # unknown now: let through, and not remembered
    assert reader._known == {}
    reader.cache = SharedCache("counting")
    reader.check(token("x", time.time() - 5), ISSUER)  # within the pause after the failure: not asked again
    reader._pause.reset()  # the pause is over
    with pytest.raises(RevokedToken) as refused:
        reader.check(token("x", time.time() - 5), ISSUER)
    assert refused.value.code == "signal_revoked"


def test_records_merge_the_later_times_and_the_newer_claims():
    first = Record(before=10, claims={"role": "a", "x": 1}, claims_at=5)
    second = Record(before=7, claims={"role": "b"}, claims_at=6)
    assert first.merged(second) == Record(before=10, claims={"role": "b", "x": 1}, claims_at=6)
    assert second.merged(first) == Record(before=10, claims={"role": "b", "x": 1}, claims_at=6)
    assert Record.load({"b": "x", "c": {}, "ca": 0}) is None
    assert Record.load("junk") is None


def test_the_event_loop_never_waits_on_the_cache(counting):
    from jwks_auth.validation.validator import TokenValidator

    reader = process(interval=0)
    writer = process()
    writer.record({subject_key(SUBJECT, ISSUER, "async"): Record(before=time.time())})

    class Token:
        claims = token("async", time.time() - 5)
        issuer = ISSUER

    class ThreadNoting(SharedCache):
        threads: list[int] = []

        def get_many(self, keys):
            self.threads.append(threading.get_ident())
            return super().get_many(keys)

    reader.cache = ThreadNoting("counting")

    async def run():
        loop_thread = threading.get_ident()
        with pytest.raises(RevokedToken) as refused:
            await TokenValidator._acheck_signals(reader, Token())
        return loop_thread, refused.value.code

    loop_thread, code = asyncio.run(run())
    assert code == "signal_revoked"
    assert ThreadNoting.threads and loop_thread not in ThreadNoting.threads  # every read made off the loop


@pytest.mark.parametrize("size", [1, 2])
def test_a_revoked_subject_is_refused_however_few_subjects_a_process_keeps(counting, size):
    from jwks_auth.exceptions import RevokedToken

    reader, writer = process(interval=60, size=size), process()
    writer.record({subject_key(SUBJECT, ISSUER, "a"): Record(before=time.time())})  # read first, kept last
    claims = {"iss": ISSUER, "sub": "a", "sid": "s", "email": "a@example.org", "iat": time.time() - 5}
    with pytest.raises(RevokedToken) as refused:
        reader.check(claims, ISSUER)  # three subjects read, fewer kept: decided from what was read
    assert refused.value.code == "signal_revoked"
    with pytest.raises(RevokedToken):
        reader.check(claims, ISSUER)


def test_a_read_overtaken_by_a_moved_epoch_still_decides(counting):
    from jwks_auth.exceptions import RevokedToken

    reader, writer = process(interval=60), process()
    writer.record({subject_key(SUBJECT, ISSUER, "m"): Record(before=time.time())})
    reader.check(token("other", time.time()), ISSUER)  # the epoch is read

    class MovingGeneration(SharedCache):
        def get_many(self, keys):
            found = super().get_many(keys)
            reader._generation += 1  # another thread forgot subjects meanwhile
            return found

    reader.cache = MovingGeneration("counting")
    with pytest.raises(RevokedToken):
        reader.check(token("m", time.time() - 5), ISSUER)


class _LockWatchingCache(SharedCache):
    """Notes whether the reader's lock was held during each cache call."""

    def __init__(self, alias, reader):
        super().__init__(alias)
        self.reader = reader
        self.under_lock: list[bool] = []

    def get_many(self, keys):
        self.under_lock.append(self.reader._lock.locked())
        return super().get_many(keys)


def test_the_epoch_is_read_outside_the_lock(counting):
    writer, reader = process(), process(interval=0)
    writer.record({subject_key(SUBJECT, ISSUER, "w"): Record(before=time.time())})
    reader.cache = watching = _LockWatchingCache("counting", reader)
    reader.check(token("w", time.time()), ISSUER)
    writer.record({subject_key(SUBJECT, ISSUER, "w"): Record(before=time.time() + 1)})
    from jwks_auth.exceptions import RevokedToken

    with pytest.raises(RevokedToken):
        reader.check(token("w", time.time()), ISSUER)  # epoch, its note and w's record read again
    assert len(watching.under_lock) >= 4
    assert not any(watching.under_lock)


class _FailingCache(SharedCache):
    calls = 0

    def get_many(self, keys):
        type(self).calls += 1
        return super().get_many(keys)


def test_a_cache_that_is_down_is_asked_once_per_pause_not_per_request(counting):
    reader = process(interval=0)
    reader.cache = _FailingCache("missing-alias")
    _FailingCache.calls = 0
    for index in range(50):
        reader.check(token(f"new-{index}", time.time()), ISSUER)  # let through: nothing is known
    assert _FailingCache.calls == 1


class _ContestedCache(SharedCache):
    """Another writer rewrites the record after each of ours, without our change."""

    def set_many(self, values, timeout):
        written = super().set_many(values, timeout)
        return written and super().set_many({key: Record(before=1.0).dump() for key in values}, timeout)


def test_a_record_contested_three_times_is_reported_as_not_written(counting):
    writer = process()
    writer.cache = _ContestedCache("counting")
    assert writer.record({subject_key(SUBJECT, ISSUER, "c"): Record(before=time.time())}) is False
