"""SECURITY_PROFILE fapi2: what it makes of an issuer's settings, what manage.py check says, the metadata."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from jwks_auth.checks import check_security_profile
from jwks_auth.conf.settings import issuer_configs
from tests.conftest import KIT_ISSUER

pytestmark = pytest.mark.django_db(databases=[])


def _config(**settings: Any) -> Any:
    (config,) = issuer_configs({"ISSUER": KIT_ISSUER, "AUDIENCE": ["api1"], **settings})
    return config


def test_the_profile_gives_its_defaults_to_what_is_not_set() -> None:
    config = _config(SECURITY_PROFILE="fapi2")
    assert config.algorithms == {"PS256", "ES256", "EdDSA"}
    assert config.leeway == 10.0
    assert config.sender_constrained and config.binds_every_token


def test_the_profile_narrows_what_is_set() -> None:
    config = _config(SECURITY_PROFILE="fapi2", ALGORITHMS=["RS256", "ES256", "ES384"], LEEWAY=60)
    assert config.algorithms == {"ES256"}
    assert config.leeway == 10.0
    assert _config(SECURITY_PROFILE="fapi2", ALGORITHMS=["RS256"]).algorithms == frozenset()
    assert _config(SECURITY_PROFILE="fapi2", LEEWAY=3).leeway == 3.0


@pytest.mark.parametrize("empty", [[], ()])
def test_an_empty_algorithms_list_gets_the_profile_s_default_not_nothing(empty: Any, settings: Any) -> None:
    """ALGORITHMS: [] reads as unset (as without the profile): the profile's algorithms, not an empty set."""
    assert _config(SECURITY_PROFILE="fapi2", ALGORITHMS=empty).algorithms == {"PS256", "ES256", "EdDSA"}
    settings.JWKS_AUTH = {"ISSUER": KIT_ISSUER, "AUDIENCE": ["api1"], "SECURITY_PROFILE": "fapi2", "ALGORITHMS": []}
    assert check_security_profile() == []


def test_algorithms_none_of_which_fapi2_allows_say_every_token_is_refused(settings: Any) -> None:
    settings.JWKS_AUTH = {"ISSUER": KIT_ISSUER, "AUDIENCE": ["api1"], "SECURITY_PROFILE": "fapi2"}
    settings.JWKS_AUTH["ALGORITHMS"] = ["RS256"]
    (error,) = check_security_profile()
    assert error.id == "jwks_auth.E012" and "every token would be refused" in error.msg


def test_without_the_profile_nothing_changes() -> None:
    config = _config()
    assert config.algorithms == {"RS256"} and config.leeway == 60.0
    assert config.security_profile is None
    assert not config.sender_constrained and not config.binds_every_token


def test_an_issuer_of_several_has_its_own_profile() -> None:
    fapi, legacy = issuer_configs(
        {
            "ISSUERS": [
                {"ISSUER": "https://a.example", "AUDIENCE": ["api1"], "SECURITY_PROFILE": "fapi2"},
                {"ISSUER": "https://b.example", "AUDIENCE": ["api1"]},
            ],
            "LEEWAY": 30,
        }
    )
    assert (fapi.leeway, legacy.leeway) == (10.0, 30.0)
    assert fapi.sender_constrained and not legacy.sender_constrained


def test_an_unknown_profile_is_a_settings_error(settings: Any) -> None:
    settings.JWKS_AUTH = {"ISSUER": KIT_ISSUER, "AUDIENCE": ["api1"], "SECURITY_PROFILE": "fapi1"}
    with pytest.raises(SystemCheckError, match="SECURITY_PROFILE"):
        call_command("check")


CONTRADICTIONS = {
    "ALGORITHMS": {"ALGORITHMS": ["RS256", "PS256"]},
    "LEEWAY": {"LEEWAY": 30},
    "DPOP": {"DPOP": "off"},
    "DPOP_ALGORITHMS": {"DPOP_ALGORITHMS": ["ES256", "ES384"]},
}


@pytest.mark.parametrize("setting", list(CONTRADICTIONS))
def test_check_fails_on_a_contradicting_setting(setting: str, settings: Any) -> None:
    settings.JWKS_AUTH = {"ISSUER": KIT_ISSUER, "AUDIENCE": ["api1"], "SECURITY_PROFILE": "fapi2"}
    assert check_security_profile() == []
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, **CONTRADICTIONS[setting]}
    (error,) = check_security_profile()
    assert error.id == "jwks_auth.E012" and error.is_serious()
    assert f"its {setting} " in error.msg and setting in error.hint
    with pytest.raises(SystemCheckError, match="jwks_auth.E012"):
        call_command("check")


def test_dpop_off_is_fine_with_certificate_binding(settings: Any) -> None:
    proxy = {"CLIENT_CERT_HEADER": "X-SSL-Client-Cert", "ADDRESSES": ["10.0.0.1"]}
    settings.JWKS_AUTH = {
        "ISSUER": KIT_ISSUER,
        "AUDIENCE": ["api1"],
        "SECURITY_PROFILE": "fapi2",
        "DPOP": "off",
        "PROXY": proxy,
    }
    assert check_security_profile() == []


def test_the_check_names_the_issuer_of_several(settings: Any) -> None:
    settings.JWKS_AUTH = {
        "ISSUERS": [
            {"ISSUER": "https://a.example", "SECURITY_PROFILE": "fapi2"},
            {"ISSUER": "https://b.example"},
        ],
        "AUDIENCE": ["api1"],
        "ALGORITHMS": ["RS256"],  # the top level's default for both: a contradiction for a.example only
    }
    (error,) = check_security_profile()
    assert "https://a.example" in error.msg


# -- at run time -----------------------------------------------------------------------------------------
def _bound(issuer: Any, **claims: Any) -> tuple[Any, str]:
    key = issuer.dpop_key("ES256")
    return key, key.token("api1", alg="ES256", **claims)


def test_iat_and_nbf_are_accepted_at_most_10_s_ahead(fapi2_config: Any, issuer: Any) -> None:
    fapi2_config(LEEWAY=60)  # contradicts the profile: narrowed to 10 s
    now = int(time.time())
    for claims, status in (({"iat": now + 5}, 200), ({"iat": now + 30}, 401), ({"nbf": now + 30}, 401)):
        key, token = _bound(issuer, **claims)
        response = Client().get("/authz/claims", headers=key.headers("GET", "/authz/claims", token))
        assert response.status_code == status, (claims, response.content)


@pytest.mark.parametrize("alg, status", [("ES256", 200), ("EdDSA", 200), ("PS256", 200), ("ES384", 401)])
def test_dpop_proofs_only_of_the_profile_s_algorithms(fapi2_config: Any, issuer: Any, alg: str, status: int) -> None:
    fapi2_config(DPOP_ALGORITHMS=["ES256", "ES384", "EdDSA", "PS256"])  # ES384 contradicts the profile
    key = issuer.dpop_key(alg)
    token = key.token("api1", alg="ES256")
    response = Client().get("/authz/claims", headers=key.headers("GET", "/authz/claims", token))
    assert response.status_code == status, response.content
    if status == 401:
        assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]


def test_the_same_settings_without_the_profile_accept_a_bearer_token(kit_config: Any, jwks_issuer: Any) -> None:
    kit_config(ALGORITHMS=["ES256"])
    token = jwks_issuer.token("api1", alg="ES256")
    assert Client().get("/authz/claims", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def _metadata() -> dict[str, Any]:
    response = Client().get("/.well-known/oauth-protected-resource")
    assert response.status_code == 200
    return dict(response.json())


def test_metadata_dpop_required_without_certificates(kit_config: Any) -> None:
    kit_config(SECURITY_PROFILE="fapi2", DPOP_ALGORITHMS=["ES256", "ES384", "EdDSA"])
    document = _metadata()
    assert document["dpop_bound_access_tokens_required"] is True
    assert document["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA"]
    assert document["tls_client_certificate_bound_access_tokens"] is False


def test_metadata_with_certificates_dpop_is_not_required(fapi2_config: Any) -> None:
    document = _metadata()
    assert document["dpop_bound_access_tokens_required"] is False
    assert document["tls_client_certificate_bound_access_tokens"] is True


def test_metadata_without_the_profile_is_unchanged(kit_config: Any) -> None:
    document = _metadata()
    assert document["dpop_bound_access_tokens_required"] is False
    assert "ES384" not in document["dpop_signing_alg_values_supported"]
    assert set(document["dpop_signing_alg_values_supported"]) == {"ES256", "PS256", "EdDSA", "Ed25519"}


def test_a_proof_of_another_algorithm_is_refused_for_its_algorithm_before_its_nonce(
    fapi2_config: Any, issuer: Any
) -> None:
    """The proof's alg is checked on its header: an ES384 proof is dpop_alg, not a request for a nonce."""
    fapi2_config(DPOP_ALGORITHMS=["ES256", "ES384"], DPOP_NONCE=True)
    key = issuer.dpop_key("ES384")
    token = key.token("api1", alg="ES256")
    response = Client().get("/authz/claims", headers=key.headers("GET", "/authz/claims", token))
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert 'error="invalid_dpop_proof"' in challenge and "use_dpop_nonce" not in challenge
    assert "algorithm not allowed" in challenge
