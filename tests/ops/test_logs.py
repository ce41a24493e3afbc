"""Log lines of the key store: one per notable event, with its facts as ``extra`` fields for JSON formatters."""

from __future__ import annotations

import io
import logging

import pytest

from jwks_auth.keys.store import short_hash
from tests.conftest import bearer
from tests.ops.scrape import value
from tests.support.keys import SigningKey

FIELDS = ("jwks_event", "issuer", "kid_hash", "jwks_uri", "key_count", "duration_ms", "age_s", "error", "cooldown_s")


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.DEBUG, logger="jwks_auth")

    def of(name):
        return [r for r in caplog.records if getattr(r, "jwks_event", None) == name]

    return of


def _no_token_in(records, *tokens):
    for record in records:
        text = record.getMessage() + repr({name: getattr(record, name, None) for name in FIELDS})
        for token in tokens:
            if token in text:
                raise AssertionError("a token reached the log")


def test_a_fetch_is_one_line_with_its_facts(client, provider, make_token, events, caplog):
    token = make_token()
    assert client.get("/claims", **bearer(token)).status_code == 200
    (record,) = events("fetched")
    assert record.levelno == logging.INFO
    assert record.issuer == provider.issuer and record.jwks_uri == provider.jwks_uri
    assert record.key_count == 1 and record.duration_ms >= 0
    assert not events("key_added")  # the first set is not a rotation
    _no_token_in(caplog.records, token)


def test_rotation_logs_each_key_added_and_removed(client, provider, signing_key, events, jwks_config):
    from django.core.management import call_command

    call_command("jwks_prefetch", stdout=io.StringIO())
    new_key = SigningKey.ec(kid="rotated-in")
    provider.set_keys(new_key)  # signing_key removed, new_key added
    call_command("jwks_prefetch", stdout=io.StringIO())
    (added,) = events("key_added")
    (removed,) = events("key_removed")
    assert added.kid_hash == short_hash("rotated-in") and removed.kid_hash == short_hash(signing_key.kid)
    assert "rotated-in" not in added.getMessage()  # kids appear hashed only


def test_a_failed_fetch_says_why(client, provider, make_token, events):
    provider.failure = 500
    assert client.get("/claims", **bearer(make_token())).status_code == 503
    (record,) = events("fetch_failed")
    assert record.levelno == logging.WARNING and "HTTP 500" in record.error and record.issuer == provider.issuer


def test_stale_keys_are_logged_once_per_interval_and_counted_each_time(
    client, provider, make_token, events, jwks_config
):
    jwks_config(
        HTTP_TIMEOUT=(0.5, 0.5),
        JWKS_DEFAULT_TTL=0,
        JWKS_MIN_TTL=0,
        JWKS_REFRESH_AHEAD=0,
        LOCAL_TTL=0,
        JWKS_RETRY_INTERVAL=60,
    )
    token = make_token()
    assert client.get("/claims", **bearer(token)).status_code == 200
    before = value(client.get("/metrics").content.decode(), "jwks_auth_stale_served_total", {"issuer": provider.issuer})
    provider.stop()
    for _ in range(3):
        assert client.get("/claims", **bearer(token)).status_code == 200
    after = value(client.get("/metrics").content.decode(), "jwks_auth_stale_served_total", {"issuer": provider.issuer})
    (record,) = events("stale")
    assert record.levelno == logging.WARNING and record.age_s >= 0
    assert after - before >= 3


def test_an_unknown_kid_refetch_is_logged_and_the_cooldown_named(client, provider, make_token, events, jwks_config):
    jwks_config(UNKNOWN_KID_COOLDOWN=30)
    assert client.get("/claims", **bearer(make_token())).status_code == 200
    stranger = SigningKey.rsa(kid="never-published", fresh=True)
    forged = [make_token(key=stranger), make_token(key=stranger)]
    for token in forged:
        assert client.get("/claims", **bearer(token)).status_code == 401
    (refetch,) = events("unknown_kid_refetch")
    assert refetch.levelno == logging.INFO and refetch.cooldown_s == 30
    assert refetch.kid_hash == short_hash("never-published")
    quiet = events("unknown_kid")  # the second one, inside the cooldown: debug only
    assert quiet and all(r.levelno == logging.DEBUG for r in quiet)
