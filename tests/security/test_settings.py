"""Bad JWKS_AUTH values (issue 11, item 4): 503 and a log line, never 500; a check error each.

One validation (jwks_auth.conf.schema) feeds both: ``manage.py check``
names every bad value with an id and a hint, and at run time the first one is
a ``ConfigurationError`` that ``JWKSAuthentication`` answers with 503.
"""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.settings import DEFAULTS, PER_ISSUER_KEYS, IssuerConfig, issuer_configs
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.keys.http import DEFAULT_TIMEOUTS

pytestmark = pytest.mark.django_db(databases=[])

BAD = {
    # name: (overrides of the working preset, the check id that reports it)
    "unknown profile": ({"PROFILE": "nope"}, "jwks_auth.E005"),
    "leeway not a number": ({"LEEWAY": "abc"}, "jwks_auth.E006"),
    "negative leeway": ({"LEEWAY": -5}, "jwks_auth.E006"),
    "issuers entry not a dict": ({"ISSUERS": [42]}, "jwks_auth.E009"),
    "issuers entry without issuer": ({"ISSUERS": [{"AUDIENCE": "api1"}]}, "jwks_auth.E009"),
    "issuers not a list": ({"ISSUERS": "https://idp.example"}, "jwks_auth.E009"),
    "audience a number": ({"AUDIENCE": 5}, "jwks_auth.E009"),
    "algorithms a string": ({"ALGORITHMS": "RS256"}, "jwks_auth.E009"),
    "profile in an issuers entry": (
        {"ISSUER": None, "ISSUERS": [{"ISSUER": "https://a.example", "PROFILE": 7}]},
        "jwks_auth.E005",
    ),
    "required claims a string": ({"REQUIRED_CLAIMS": "sub"}, "jwks_auth.E009"),
    "scope claims a number": ({"SCOPE_CLAIMS": 1}, "jwks_auth.E009"),
    "claim values a list": ({"CLAIM_VALUES": ["typ"]}, "jwks_auth.E009"),
    "token cache a string": ({"TOKEN_CACHE_SIZE": "16k"}, "jwks_auth.E006"),
    "timeout a string": ({"HTTP": {"TIMEOUT": "2s"}}, "jwks_auth.E006"),
    "verify a number": ({"HTTP": {"VERIFY": 1}}, "jwks_auth.E009"),
    "http not a dict": ({"HTTP": [1]}, "jwks_auth.E009"),
    "http unknown key": ({"HTTP": {"TIMEOUTS": 1}}, "jwks_auth.E009"),
    "insecure http a string": ({"ALLOW_INSECURE_HTTP": "no"}, "jwks_auth.E009"),
    "resolver that cannot be imported": ({"USER_RESOLVER": "no.such.resolver"}, "jwks_auth.E009"),
    "revocation hook that cannot be imported": ({"IS_REVOKED": "no.such.hook"}, "jwks_auth.E009"),
    "revocation hook not callable": ({"IS_REVOKED": 3}, "jwks_auth.E009"),
    "middleware exempt paths a string": ({"MIDDLEWARE_EXEMPT_PATHS": "/metrics"}, "jwks_auth.E009"),
    "middleware exempt path without its slash": ({"MIDDLEWARE_EXEMPT_PATHS": ["metrics"]}, "jwks_auth.E009"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_503_with_a_log_line_not_500(judge, jwks_config, make_token, name):
    overrides, _ = BAD[name]
    jwks_config(**overrides)
    judge.token("503", make_token(), then_valid=False)
    assert "JWKS_AUTH is misconfigured" in judge.caplog.text


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_a_system_check_error_with_a_hint(jwks_config, name):
    overrides, check_id = BAD[name]
    jwks_config(**overrides)
    found = [m for m in run_checks() if m.id.startswith("jwks_auth.") and m.is_serious()]
    assert check_id in {m.id for m in found}, [str(m) for m in found]
    assert all(m.hint for m in found)


@pytest.mark.parametrize("name", [n for n in BAD if "imported" not in n and "not callable" not in n])
def test_a_bad_value_is_one_configuration_error(jwks_config, name):
    overrides, _ = BAD[name]
    with pytest.raises(ConfigurationError):
        issuer_configs(jwks_config(**overrides))


def test_the_working_preset_passes_control(client, jwks_config, make_token):
    jwks_config(AUDIENCE="api1", ALGORITHMS=("RS256",), ISSUERS=[], LEEWAY=0.5)
    assert not [m for m in run_checks() if m.id.startswith("jwks_auth.") and m.is_serious()]
    assert client.get("/me", HTTP_AUTHORIZATION=f"Bearer {make_token()}").status_code == 200


def test_messages_name_the_bad_value_but_never_a_secret_one(settings):
    secret = "s3cr3t-value-never-logged"
    settings.JWKS_AUTH = {
        "ISSUER": "https://a.example",
        "AUDIENCE": "x",
        "PROFILE": "keycloack",
        "HTTP": {"PROXIES": {"https": 5, "secret": secret}},
        "INTROSPECTION": [secret],
    }
    messages = [f"{p.where} {p.message}" for p in settings_schema.problems(settings.JWKS_AUTH)]
    assert len(messages) == 3 and not any(secret in m for m in messages)
    assert any("PROFILE" in m and "'keycloack'" in m for m in messages)
    assert any("['HTTP']['PROXIES']" in m and "not a dict" in m for m in messages)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(PER_ISSUER_KEYS), inner, max_size=3),
    max_leaves=6,
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(DEFAULTS)), _values, max_size=4))
def test_no_setting_raises_anything_but_configuration_error(user):
    try:
        configs = issuer_configs({"ISSUER": "https://a.example", "AUDIENCE": "api1", **user})
    except ConfigurationError:
        return
    assert all(isinstance(config, IssuerConfig) for config in configs)


# -- one source for each default (issue 12) ---------------------------------------------------
def test_every_setting_is_declared_once_with_its_default_rule_and_doc():
    from jwks_auth.conf.table import LEGACY, PER_ISSUER, SETTINGS

    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names)) == len(DEFAULTS) <= 40
    assert set(PER_ISSUER_KEYS) == set(PER_ISSUER)
    assert not {legacy.name for legacy in LEGACY} & set(names)
    for setting in SETTINGS:
        assert setting.doc and setting.expects and setting.rule(setting.default) is None, setting.name
        for key in setting.keys:
            assert key.doc and key.rule(key.default) is None, (setting.name, key.name)
    assert settings_schema.problems(DEFAULTS) == []


def test_per_issuer_defaults_come_from_the_dataclass():
    config = IssuerConfig(issuer="https://a.example")
    built = issuer_configs(
        {
            "ISSUER": "https://a.example",
            "PROFILE": "okta",
            "REQUIRED_CLAIMS": [],
            "TOKEN_TYPES": ["JWT"],
            "SCOPE_CLAIMS": ["scope"],
        }
    )[0]
    assert DEFAULTS["LEEWAY"] == config.leeway == built.leeway
    assert DEFAULTS["ALGORITHMS"] == sorted(config.algorithms) == sorted(built.algorithms)
    assert DEFAULTS["USER_ID_CLAIM"] == config.user_id_claim == built.user_id_claim
    assert built.audience_claim == config.audience_claim  # okta names none: the dataclass default


def test_the_fetch_fallback_timeouts_are_the_settings_default():
    assert DEFAULT_TIMEOUTS == tuple(DEFAULTS["HTTP"]["TIMEOUT"])


def test_an_unknown_setting_is_reported_but_not_fatal(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "AUDIENCE": "x", "AUDIENCES": ["y"]}
    (problem,) = settings_schema.problems(settings.JWKS_AUTH)
    assert problem.id == "jwks_auth.E005" and not problem.fatal
    assert issuer_configs()[0].audiences == {"x"}


def test_old_spellings_still_take_effect_until_1_1(settings):
    from jwks_auth.keys.store.settings import KeyStoreSettings
    from jwks_auth.sender.settings import DPoPSettings
    from jwks_auth.users import DjangoUserResolver
    from jwks_auth.validation.validator import TokenValidator, get_validator

    settings.JWKS_AUTH = {
        "ISSUER": "https://a.example",
        "AUDIENCE": "x",
        "JWKS_MIN_TTL": 90,
        "KEY_STORE": {"MAX_TTL": 900},
        "HTTP_TIMEOUT": [0.5, 1.5],
        "MAX_TOKEN_LENGTH": 9000,
        "DPOP_IAT_MAX_AGE": 30,
        "USER_CREATE": True,
    }
    store = KeyStoreSettings.from_settings()
    assert (store.min_ttl, store.max_ttl, store.http_timeouts) == (90, 900, (0.5, 1.5))
    assert get_validator().max_length == 9000 and TokenValidator.max_length == 16384
    assert DPoPSettings.from_settings().iat_max_age == 30
    assert DjangoUserResolver().option("USER_CREATE", "create_users") is True
    # A new spelling beside an old one wins.
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "KEY_STORE": {"MIN_TTL": 120}}
    assert KeyStoreSettings.from_settings().min_ttl == 120


def test_group_keys_not_set_keep_their_defaults(settings):
    from jwks_auth.conf.settings import jwks_settings

    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "AUDIENCE": "x", "HTTP": {"TIMEOUT": 3}}
    assert jwks_settings.HTTP == {**DEFAULTS["HTTP"], "TIMEOUT": 3}
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "AUDIENCE": "x", "HTTP": "bad"}
    assert jwks_settings.HTTP == DEFAULTS["HTTP"]  # reported by the checks (E009), never a 500


def test_a_resolver_class_is_instantiated_once(settings):
    from jwks_auth.users import DjangoUserResolver
    from jwks_auth.web.request_verifier import get_user_resolver

    settings.JWKS_AUTH = {
        "ISSUER": "https://a.example",
        "AUDIENCE": "x",
        "USER_RESOLVER": "jwks_auth.users.DjangoUserResolver",
    }
    resolver = get_user_resolver()
    assert isinstance(resolver, DjangoUserResolver) and get_user_resolver() is resolver
