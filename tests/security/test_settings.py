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
    "token length a string": ({"MAX_TOKEN_LENGTH": "16k"}, "jwks_auth.E006"),
    "timeout a string": ({"HTTP_TIMEOUT": "2s"}, "jwks_auth.E006"),
    "verify a number": ({"HTTP_VERIFY": 1}, "jwks_auth.E009"),
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


def test_messages_name_the_type_never_the_value(settings):
    secret = "s3cr3t-value-never-logged"
    settings.JWKS_AUTH = {
        "ISSUER": "https://a.example",
        "AUDIENCE": "x",
        "HTTP_PROXIES": {"https": 5},
        "USER_AGENT": [secret],
    }
    messages = [f"{p.where} {p.message}" for p in settings_schema.problems(settings.JWKS_AUTH)]
    assert len(messages) == 2 and not any(secret in m for m in messages)


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
def test_every_setting_has_one_default_and_one_rule():
    assert set(DEFAULTS) == set(settings_schema.RULES)
    assert set(PER_ISSUER_KEYS) == set(settings_schema.PER_ISSUER_RULES)
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
    assert DEFAULT_TIMEOUTS == tuple(DEFAULTS["HTTP_TIMEOUT"])


def test_an_unknown_setting_is_reported_but_not_fatal(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://a.example", "AUDIENCE": "x", "AUDIENCES": ["y"]}
    (problem,) = settings_schema.problems(settings.JWKS_AUTH)
    assert problem.id == "jwks_auth.E005" and not problem.fatal
    assert issuer_configs()[0].audiences == {"x"}
