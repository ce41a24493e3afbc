"""System checks: each id, with a hint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks

OK = {"ISSUER": "https://idp.example", "AUDIENCE": "api1"}
#: About the project's Ninja APIs, not its settings: they depend on which modules the run imported (the tests'
#: own API has an async operation with the sync JWKSBearer on purpose). tests/asgi_app/test_ninja.py tests them.
NINJA_CODE_CHECKS = {"jwks_auth.W011", "jwks_auth.W012"}


def ids(settings: Any, deploy: bool = False, **jwks_auth: Any) -> dict[str, Any]:
    settings.JWKS_AUTH = jwks_auth
    messages = [
        m
        for m in run_checks(include_deployment_checks=deploy)
        if m.id.startswith("jwks_auth.") and m.id not in NINJA_CODE_CHECKS
    ]
    for message in messages:
        assert message.hint, message.id
    return {m.id: m for m in messages}


def test_a_complete_configuration_passes(settings):
    assert ids(settings, deploy=True, **OK) == {}


def test_no_issuer(settings):
    assert "jwks_auth.E001" in ids(settings, AUDIENCE="api1")


def test_no_audience(settings):
    found = ids(settings, ISSUER="https://idp.example")
    assert "jwks_auth.E002" in found and "https://idp.example" in found["jwks_auth.E002"].msg


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS512"], ["rs256"]])
def test_unsafe_algorithm(settings, algorithms):
    assert "jwks_auth.E003" in ids(settings, **OK, ALGORITHMS=algorithms)


def test_cache_alias_missing(settings):
    found = ids(settings, **OK, CACHE_ALIAS="jwks")
    assert "jwks_auth.E004" in found and "'jwks'" in found["jwks_auth.E004"].msg


def test_dummy_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert "jwks_auth.W001" in ids(settings, **OK)


def test_unknown_setting_or_profile(settings):
    assert "jwks_auth.E005" in ids(settings, **OK, UNKNOWN_KID_COOLDOWNS=5)
    assert "jwks_auth.E005" in ids(settings, **OK, PROFILE="nope")


@pytest.mark.parametrize(
    "changes",
    [
        {"KEY_STORE": {"UNKNOWN_KID_COOLDOWN": 0}},
        {"KEY_STORE": {"LOCAL_TTL": -1}},
        {"KEY_STORE": {"STALE_TTL": "1d"}},
        {"HTTP": {"TIMEOUT": None}},
        {"HTTP": {"TIMEOUT": [1, 0]}},
        {"HTTP": {"TIMEOUT": [1, 2, 3]}},
        {"KEY_STORE": {"MIN_TTL": 900, "MAX_TTL": 60}},
        {"HTTP": {"MAX_RESPONSE_BYTES": float("inf")}},
    ],
)
def test_bad_timing_or_size(settings, changes):
    assert "jwks_auth.E006" in ids(settings, **OK, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"KEY_STORE": {"LOCAL_TTL": 0}},
        {"KEY_STORE": {"REFRESH_AHEAD": 0}},
        {"HTTP": {"TIMEOUT": 3}},
        {"HTTP": {"TIMEOUT": [0.5, 1.5]}},
    ],
)
def test_good_timings(settings, changes):
    assert ids(settings, **OK, **changes) == {}


@pytest.mark.parametrize(
    ("old", "value", "new"),
    [
        ("LOCAL_TTL", 0, "JWKS_AUTH['KEY_STORE']['LOCAL_TTL']"),
        ("JWKS_MIN_TTL", 90, "JWKS_AUTH['KEY_STORE']['MIN_TTL']"),
        ("HTTP_TIMEOUT", [0.5, 1.5], "JWKS_AUTH['HTTP']['TIMEOUT']"),
        ("USER_AGENT", "ua/1", "JWKS_AUTH['HTTP']['USER_AGENT']"),
        ("RESOURCE_SCOPES", ["a"], "JWKS_AUTH['RESOURCE_METADATA']['SCOPES']"),
        ("MAX_TOKEN_LENGTH", 9000, "TokenValidator.max_length"),
        ("DPOP_IAT_MAX_AGE", 30, "DPoPSettings"),
        ("USER_CREATE", True, "create_users"),
        ("TRUSTED_PROXIES", ["10.0.0.5"], "JWKS_AUTH['PROXY']['ADDRESSES']"),
        ("CLIENT_CERT_FORMAT", "xfcc", "JWKS_AUTH['PROXY']['CLIENT_CERT_FORMAT']"),
    ],
)
def test_an_old_spelling_is_a_warning_naming_the_new_one(settings, old, value, new):
    found = ids(settings, **OK, **{old: value})
    assert set(found) == {"jwks_auth.W010"}
    assert found["jwks_auth.W010"].level == 30 and new in found["jwks_auth.W010"].msg


def test_an_old_spelling_with_a_bad_value_is_still_an_error(settings):
    assert {"jwks_auth.W010", "jwks_auth.E006"} <= set(ids(settings, **OK, JWKS_STALE_TTL="1d"))
    assert {"jwks_auth.W010", "jwks_auth.E009"} <= set(ids(settings, **OK, MAX_TOKEN_LENGTH="16k"))


@pytest.mark.parametrize(
    "config",
    [
        {"ISSUER": "http://idp.example", "AUDIENCE": "api1"},
        {"ISSUER": "https://idp.example", "AUDIENCE": "api1", "JWKS_URI": "http://keys.example/jwks"},
        {"ISSUERS": [{"ISSUER": "https://a.example"}, {"ISSUER": "http://b.example"}], "AUDIENCE": "api1"},
    ],
)
def test_non_https_key_url_warns_on_deploy(settings, config):
    assert "jwks_auth.W002" not in ids(settings, **config)  # a deploy check only
    assert "jwks_auth.W002" in ids(settings, deploy=True, **config)


@pytest.mark.parametrize(
    "issuer", ["http://localhost:5000", "http://127.0.0.1:5000", "http://[::1]:5000", "http://[::1]"]
)
def test_loopback_http_does_not_warn(settings, issuer):
    assert "jwks_auth.W002" not in ids(settings, deploy=True, ISSUER=issuer, AUDIENCE="api1")


def test_unknown_key_in_an_issuers_entry(settings):
    found = ids(settings, AUDIENCE="api1", ISSUERS=[{"ISSUER": "https://idp.example", "AUDIENCES": ["x"]}])
    assert "jwks_auth.E007" in found and "AUDIENCES" in found["jwks_auth.E007"].msg


@pytest.mark.parametrize(
    "introspection",
    [
        {"CLIENT_ID": "api", "CLIENT_SECRET": "s"},  # no endpoint
        {"ENDPOINT": "https://idp.example/introspect", "AUTH_METHOD": "magic"},
        {"ENDPOINT": "https://idp.example/introspect"},  # no client credentials
        {"ENDPOINT": "https://idp.example/introspect", "CLIENT_ID": "a", "TYPO": 1},
        "https://idp.example/introspect",
    ],
)
def test_unusable_introspection(settings, introspection):
    assert "jwks_auth.E008" in ids(settings, **OK, INTROSPECTION=introspection)


def test_good_introspection_passes(settings):
    good = {"ENDPOINT": "https://idp.example/introspect", "CLIENT_ID": "api", "CLIENT_SECRET": "s"}
    assert ids(settings, deploy=True, **OK, INTROSPECTION=good) == {}


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# Only looked at, never connected to (the tests' own "default" stays the one they clear).
REDIS = {
    **LOCMEM,
    "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
}


@pytest.mark.parametrize("dpop", ["allowed", "required"])
def test_dpop_with_a_per_process_cache(settings, dpop):
    """W004: DPoP proofs are remembered in the cache; LocMem remembers them in one process only."""
    settings.CACHES = LOCMEM
    found = ids(settings, **OK, DPOP=dpop)
    assert "jwks_auth.W004" in found and "https://idp.example" in found["jwks_auth.W004"].msg
    assert "LocMemCache" in found["jwks_auth.W004"].msg and "Redis" in found["jwks_auth.W004"].hint
    # Per issuer, in an ISSUERS entry: only that one is named.
    found = ids(
        settings,
        AUDIENCE="api1",
        ISSUERS=[{"ISSUER": "https://a.example", "DPOP": dpop}, {"ISSUER": "https://b.example"}],
    )
    assert "https://a.example" in found["jwks_auth.W004"].msg and "b.example" not in found["jwks_auth.W004"].msg


def test_dpop_left_at_its_default_or_off_with_locmem_is_not_reported(settings):
    """LocMem is fine for one process: the default (a new project, runserver) is not warned about."""
    settings.CACHES = LOCMEM
    assert "jwks_auth.W004" not in ids(settings, **OK)
    assert "jwks_auth.W004" not in ids(settings, **OK, DPOP="off")
    assert "jwks_auth.W004" not in ids(
        settings, **OK, ISSUERS=[{"ISSUER": "https://a.example", "DPOP": "off"}], DPOP="allowed"
    )


def test_dpop_with_a_dummy_cache_is_reported_even_by_default(settings):
    """DummyCache remembers no proof at all: any replay is accepted."""
    settings.CACHES = DUMMY
    found = ids(settings, **OK)
    assert "jwks_auth.W004" in found and "DummyCache" in found["jwks_auth.W004"].msg
    assert "jwks_auth.W004" not in ids(settings, **OK, DPOP="off")


def test_dpop_with_a_shared_cache_is_not_reported(settings):
    settings.CACHES = REDIS
    assert "jwks_auth.W004" not in ids(settings, **OK, DPOP="required", CACHE_ALIAS="shared")
    assert "jwks_auth.W004" in ids(settings, **OK, DPOP="required")  # the LocMem "default" beside it


def test_dpop_nonce_with_dpop_off_at_the_top_level(settings):
    """W005: DPOP_NONCE is ignored while DPOP is off; the check names the issuer."""
    found = ids(settings, **OK, DPOP="off", DPOP_NONCE=True)
    assert set(found) == {"jwks_auth.W005"}
    assert "https://idp.example" in found["jwks_auth.W005"].msg
    assert "'allowed' or 'required'" in found["jwks_auth.W005"].hint


def test_dpop_nonce_with_dpop_off_in_an_issuers_entry(settings):
    found = ids(
        settings,
        AUDIENCE="api1",
        DPOP_NONCE=True,
        ISSUERS=[{"ISSUER": "https://a.example", "DPOP": "off"}, {"ISSUER": "https://b.example"}],
    )
    assert "https://a.example" in found["jwks_auth.W005"].msg and "b.example" not in found["jwks_auth.W005"].msg
    found = ids(
        settings,
        AUDIENCE="api1",
        ISSUERS=[{"ISSUER": "https://a.example"}, {"ISSUER": "https://b.example", "DPOP": "off", "DPOP_NONCE": True}],
    )
    assert "https://b.example" in found["jwks_auth.W005"].msg and "a.example" not in found["jwks_auth.W005"].msg


@pytest.mark.parametrize("dpop", [None, "allowed", "required"])
def test_dpop_nonce_with_dpop_on_is_not_reported(settings, dpop):
    changes = {} if dpop is None else {"DPOP": dpop}
    assert "jwks_auth.W005" not in ids(settings, **OK, **changes, DPOP_NONCE=True)


@pytest.mark.parametrize("nonce", [{}, {"DPOP_NONCE": False}])
def test_dpop_off_without_dpop_nonce_is_not_reported(settings, nonce):
    assert "jwks_auth.W005" not in ids(settings, **OK, DPOP="off", **nonce)
    assert "jwks_auth.W005" not in ids(
        settings, AUDIENCE="api1", ISSUERS=[{"ISSUER": "https://a.example", "DPOP": "off", **nonce}]
    )


@pytest.mark.parametrize(
    "config",
    [
        {"ISSUER": "http://keycloak:8080/realms/demo"},
        {"ISSUER": "http://localhost:8080/realms/demo", "JWKS_URI": "http://keycloak:8080/realms/demo/certs"},
    ],
)
def test_an_http_key_url_off_loopback_names_allow_insecure_http(settings, config):
    """W006: every token would get 503 (keys are never fetched over http off loopback); the check says why first."""
    found = ids(settings, AUDIENCE="api1", **config)
    assert "jwks_auth.W006" in found, found
    assert "http://keycloak:8080/realms/demo" in found["jwks_auth.W006"].msg
    assert "ALLOW_INSECURE_HTTP" in found["jwks_auth.W006"].hint
    assert "jwks_auth.W006" not in ids(settings, AUDIENCE="api1", ALLOW_INSECURE_HTTP=True, **config)


@pytest.mark.parametrize("issuer", ["idp.example.com", "idp.example.com/realms/demo", "ftp://idp.example.com"])
def test_an_issuer_without_https_scheme_is_named(settings, issuer):
    found = ids(settings, ISSUER=issuer, AUDIENCE="api1")
    assert "jwks_auth.W006" in found and repr(issuer) in found["jwks_auth.W006"].msg
    assert "https://" in found["jwks_auth.W006"].hint


def test_loopback_http_and_https_issuers_are_not_reported(settings):
    assert "jwks_auth.W006" not in ids(settings, ISSUER="http://localhost:5000", AUDIENCE="api1")
    assert "jwks_auth.W006" not in ids(settings, ISSUER="http://127.0.0.1:5600", AUDIENCE="api1")
    assert "jwks_auth.W006" not in ids(settings, **OK)


def test_a_bad_profile_is_named_with_the_choices(settings):
    found = ids(settings, **OK, PROFILE="keycloack")
    assert "'keycloack'" in found["jwks_auth.E005"].msg and "keycloak" in found["jwks_auth.E005"].msg
    assert "not str" not in found["jwks_auth.E005"].msg
    found = ids(settings, **OK, DPOP="on")
    assert "'on'" in found["jwks_auth.E009"].msg and "allowed" in found["jwks_auth.E009"].msg
