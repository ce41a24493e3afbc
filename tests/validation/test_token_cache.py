"""The verified-token cache: repeated tokens skip the work, never the rules."""

from __future__ import annotations

import time

import pytest

from jwks_auth.exceptions import ExpiredToken, RevokedToken, UnknownKey
from jwks_auth.validation.validator import TokenValidator, get_validator
from jwks_auth.validation.verified_cache import VerifiedTokenCache
from tests.conftest import bearer

pytestmark = pytest.mark.django_db(databases=[])

REVOKED: set[str] = set()


def is_revoked(claims):
    return claims.get("jti") in REVOKED


def test_repeated_token_is_served_from_the_cache(jwks_config, token):
    validator = get_validator()
    first = validator.validate(token)
    assert len(validator.cache) == 1
    assert validator.validate(token) is first


def test_only_successful_validations_are_cached(jwks_config, make_token):
    validator = get_validator()
    with pytest.raises(ExpiredToken):
        validator.validate(make_token(exp=int(time.time()) - 3600, iat=int(time.time()) - 4000))
    assert len(validator.cache) == 0


def test_cache_is_keyed_by_a_digest_not_the_token(jwks_config, token):
    validator = get_validator()
    validator.validate(token)
    (key,) = validator.cache._entries.keys()
    assert isinstance(key, bytes) and len(key) == 32 and token.encode() not in key


def test_entry_lives_no_longer_than_exp(jwks_config, make_token):
    validator = get_validator()
    token = make_token(exp=int(time.time()) + 2)
    validator.validate(token)
    digest = next(iter(validator.cache._entries))
    assert validator.cache._entries[digest].expires_at <= time.time() + 2
    assert validator.cache.get(digest, time.time() + 3) is None


def test_entry_is_dropped_when_its_key_leaves_the_set(jwks_config, provider, make_token, signing_key, other_key):
    token = make_token()
    validator = get_validator()
    validator.validate(token)
    provider.set_keys(other_key)  # the signing key is rotated out
    for store in validator.registry.stores:
        store.refresh()
    with pytest.raises(UnknownKey):
        validator.validate(token)


def test_revocation_hook_is_honoured_for_cached_tokens(jwks_config, make_token):
    jwks_config(IS_REVOKED="tests.validation.test_token_cache.is_revoked")
    token = make_token(jti="to-be-revoked")
    validator = get_validator()
    validator.validate(token)
    REVOKED.add("to-be-revoked")
    try:
        with pytest.raises(RevokedToken):
            validator.validate(token)
    finally:
        REVOKED.clear()


def test_revoked_token_is_401_in_a_request(jwks_config, client, make_token):
    jwks_config(IS_REVOKED="tests.validation.test_token_cache.is_revoked")
    REVOKED.add("gone")
    try:
        response = client.get("/me", **bearer(make_token(jti="gone")))
    finally:
        REVOKED.clear()
    assert response.status_code == 401
    assert 'error_description="token revoked"' in response["WWW-Authenticate"]


def test_lru_is_bounded():
    cache = VerifiedTokenCache(maxsize=3)
    for i in range(5):
        cache.put(bytes([i]) * 32, object())  # type: ignore[arg-type]
    assert len(cache) == 3
    assert bytes([0]) * 32 not in cache._entries and bytes([4]) * 32 in cache._entries


def test_size_zero_disables_the_cache(jwks_config, token):
    jwks_config(TOKEN_CACHE_SIZE=0)
    validator = get_validator()
    validator.validate(token)
    assert len(validator.cache) == 0


def test_validator_is_rebuilt_when_settings_change(jwks_config):
    first = get_validator()
    jwks_config(LEEWAY=5)
    second = get_validator()
    assert first is not second
    assert isinstance(second, TokenValidator)
    assert second.registry.stores[0].config.leeway == 5
