"""jwks_settings reads lazily and follows setting changes."""

from __future__ import annotations

import pytest

from jwks_auth.conf.settings import issuer_configs, jwks_settings
from jwks_auth.exceptions import ConfigurationError


def test_defaults_apply(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://issuer.example", "AUDIENCE": "api1"}
    assert jwks_settings.LEEWAY == 60
    assert jwks_settings.ALGORITHMS == ["RS256"]
    (config,) = issuer_configs()
    assert config.audiences == {"api1"}
    assert config.token_types == {"at+jwt"}
    assert config.required_claims == ("iss", "exp", "aud", "sub", "iat", "client_id", "jti")


def test_reload_on_setting_changed(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "LEEWAY": 10}
    assert jwks_settings.LEEWAY == 10
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "LEEWAY": 20}
    assert jwks_settings.LEEWAY == 20


def test_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError):
        jwks_settings.NOT_A_SETTING  # noqa: B018


def test_several_issuers_inherit_top_level_defaults(settings):
    settings.JWKS_AUTH = {
        "ALGORITHMS": ["RS256", "ES256"],
        "AUDIENCE": ["api1"],
        "ISSUERS": [
            {"ISSUER": "https://a.example"},
            {"ISSUER": "https://b.example", "AUDIENCE": "other", "PROFILE": "keycloak"},
        ],
    }
    a, b = issuer_configs()
    assert a.algorithms == b.algorithms == {"RS256", "ES256"}
    assert a.audiences == {"api1"} and b.audiences == {"other"}
    assert b.token_types == {"jwt", "at+jwt"}


def test_tenant_template_expands_over_the_allowlist(settings):
    settings.JWKS_AUTH = {
        "AUDIENCE": ["api://x"],
        "ISSUERS": [
            {
                "ISSUER": "https://login.microsoftonline.com/{tenant}/v2.0",
                "ALIASES": ["https://sts.windows.net/{tenant}/"],
                "TENANTS": ["t1", "t2"],
                "PROFILE": "entra",
            }
        ],
    }
    configs = issuer_configs()
    assert [c.issuer for c in configs] == [
        "https://login.microsoftonline.com/t1/v2.0",
        "https://login.microsoftonline.com/t2/v2.0",
    ]
    assert configs[0].accepted_issuers == {"https://login.microsoftonline.com/t1/v2.0", "https://sts.windows.net/t1/"}


def test_unknown_profile_is_refused(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "AUDIENCE": "x", "PROFILE": "nope"}
    with pytest.raises(ConfigurationError, match="PROFILE"):
        issuer_configs()
