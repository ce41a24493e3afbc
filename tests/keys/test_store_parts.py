"""The key store's configuration is passed in, and its cache keys are one namespace."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.cache import caches

from jwks_auth.conf.settings import issuer_configs
from jwks_auth.exceptions import FetchError, UnknownKey
from jwks_auth.keys.store import KeyStore, KeyStoreSettings
from jwks_auth.keys.store.namespace import Slot
from tests.conftest import bearer

pytestmark = pytest.mark.django_db(databases=[])


def test_settings_are_read_once_when_the_store_is_built(provider, jwks_config, signing_key, counting_cache):
    settings = dataclasses.replace(KeyStoreSettings.from_settings(), key_prefix="elsewhere", min_ttl=5, default_ttl=5)
    store = KeyStore(issuer_configs()[0], settings)
    jwks_config(JWKS_MIN_TTL=900, JWKS_DEFAULT_TTL=900, CACHE_KEY_PREFIX="ignored")  # after the store was built
    snapshot = store.snapshot()
    assert snapshot.soft_expiry - snapshot.fetched_at == pytest.approx(5)
    assert counting_cache.keys and all(key.startswith("elsewhere:") for key in counting_cache.keys)


@pytest.mark.parametrize("name", ["JWKS_STALE_TTL", "LOCAL_TTL", "UNKNOWN_KID_COOLDOWN", "JWKS_RETRY_INTERVAL"])
def test_a_timing_setting_that_is_not_a_number_is_503_and_logged_not_500(client, make_token, jwks_config, caplog, name):
    jwks_config(**{name: "1d"})
    token = make_token()
    response = client.get("/me", **bearer(token))
    assert response.status_code == 503
    assert "misconfigured" in caplog.text and token not in caplog.text


def test_clear_removes_every_slot_and_what_this_process_holds(store, provider, signing_key):
    current = store()
    current.get_key(signing_key.kid, "RS256")
    with pytest.raises(UnknownKey):
        current.get_key("unknown", "RS256")  # writes the shared cooldown
    provider.failure = 503
    with pytest.raises(FetchError):
        current.refresh()  # writes the pause and the last error
    shared = caches["default"]
    for slot in Slot:  # and whatever other workers wrote (a fetch lock, a discovered URL)
        shared.add(current.namespace.key(slot), "written by another worker", 60)
    status = current.status()
    assert status["local"] and status["last_error"] and status["retry_not_before"]
    current.clear()
    assert [slot for slot in Slot if shared.get(current.namespace.key(slot)) is not None] == []
    status = current.status()
    assert status["local"] is None and status["last_error"] is None and status["retry_not_before"] is None


@pytest.mark.parametrize("timeouts", [(0.5, 1.0), (2.0, 4.0), (1.0, 1.0)])
def test_the_fetch_lock_outlives_discovery_rfc8414_fallback_and_jwks_each_at_its_deadline(timeouts) -> None:
    """Three requests one after another (openid-configuration 404, oauth-authorization-server, JWKS): the shared
    lock must not expire while the third one is still within its deadline."""
    settings = dataclasses.replace(KeyStoreSettings.from_settings(), http_timeouts=timeouts)
    assert settings.lock_timeout > 3 * sum(timeouts)
