"""``manage.py check`` on SHARED_SIGNALS: a cache that cannot carry revocations, a transmitter with no audience."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REDIS = {
    **LOCMEM,
    "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
}
SSF = {"TRANSMITTERS": [{"ISSUER": "https://tx.example", "TOKEN_ISSUERS": ["https://idp.example"]}]}


def messages(settings: Any, deploy: bool = True, **jwks_auth: Any) -> list[Any]:
    settings.JWKS_AUTH = {"DPOP": "off", **jwks_auth}
    return [m for m in run_checks(include_deployment_checks=deploy) if m.id.startswith("jwks_auth.")]


@pytest.mark.parametrize(("caches", "kind", "deploy"), [(LOCMEM, "LocMemCache", True), (DUMMY, "DummyCache", False)])
def test_a_per_process_or_no_cache_is_reported_naming_cache_alias(settings, caches, kind, deploy):
    settings.CACHES = caches
    found = messages(settings, deploy, ISSUER="https://idp.example", AUDIENCE="api1", SHARED_SIGNALS=SSF)
    said = [m for m in found if m.id == "jwks_auth.W004" and "SHARED_SIGNALS" in m.msg]
    assert len(said) == 1 and kind in said[0].msg and "CACHE_ALIAS" in said[0].msg and said[0].hint


def test_a_shared_cache_or_no_transmitter_is_not_reported(settings):
    settings.CACHES = REDIS
    found = messages(settings, ISSUER="https://idp.example", AUDIENCE="api1", SHARED_SIGNALS=SSF, CACHE_ALIAS="shared")
    assert not [m for m in found if "SHARED_SIGNALS" in m.msg]
    settings.CACHES = LOCMEM
    assert not [m for m in messages(settings, ISSUER="https://idp.example", AUDIENCE="api1") if "SHARED" in m.msg]
    # One runserver process shares its LocMem with itself: said by ``check --deploy`` only.
    found = messages(settings, False, ISSUER="https://idp.example", AUDIENCE="api1", SHARED_SIGNALS=SSF)
    assert not [m for m in found if "SHARED_SIGNALS" in m.msg]


def test_a_transmitter_without_an_audience_is_an_error_naming_it(settings):
    settings.CACHES = REDIS
    found = messages(settings, ISSUER="https://idp.example", SHARED_SIGNALS=SSF, CACHE_ALIAS="shared")
    named = [m for m in found if "['TRANSMITTERS'][0]['AUDIENCE']" in m.msg]
    assert len(named) == 1 and named[0].level >= 40
    with_audience = {"TRANSMITTERS": [{**SSF["TRANSMITTERS"][0], "AUDIENCE": "api1"}]}
    found = messages(settings, ISSUER="https://idp.example", SHARED_SIGNALS=with_audience, CACHE_ALIAS="shared")
    assert not [m for m in found if "TRANSMITTERS" in m.msg]
