"""The DPoP and certificate settings: checked like every other, a bad one is 503 and a check, never 500."""

from __future__ import annotations

from typing import Any

import pytest

from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.settings import DEFAULTS
from tests.conftest import bearer

pytestmark = pytest.mark.django_db(databases=[])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DPOP", "sometimes"),
        ("DPOP", True),
        ("DPOP_NONCE", "yes"),
        ("DPOP_ALGORITHMS", ["HS256"]),
        ("DPOP_ALGORITHMS", []),
        ("DPOP_ALGORITHMS", "ES256"),
        ("DPOP_IAT_MAX_AGE", -1),
        ("DPOP_NONCE_STEP", "60"),
        ("PROXY", {"ADDRESSES": ["10.0.0.0/33"]}),
        ("PROXY", {"ADDRESSES": "10.0.0.1"}),
        ("PROXY", {"PUBLIC_ORIGINS": ["api.example.com"]}),
        ("PROXY", {"PUBLIC_ORIGINS": ["https://api.example.com/?q"]}),
        ("PROXY", {"CLIENT_CERT_FORMAT": "pem"}),
        ("PROXY", {"CLIENT_CERT_HEADER": 5}),
        ("PROXY", {"FORWARDED_HEADERS": "Forwarded"}),
        ("PROXY", {"FORWARDED_HEADERS": ["X-Real-IP"]}),
        (
            "PROXY",
            {"FORWARDED_HEADERS": ["Forwarded", "X-Forwarded-Host"]},
        ),  # Forwarded alone: it carries proto and host
    ],
)
def test_bad_values_are_problems_and_503(client: Any, jwks_config: Any, token: str, name: str, value: Any) -> None:
    problems = [p for p in settings_schema.problems({name: value}, DEFAULTS) if p.fatal]
    assert problems and name in problems[0].where
    jwks_config(**{name: value})
    response = client.get("/me", **bearer(token))
    assert response.status_code == 503 and int(response["Retry-After"]) >= 1


def test_per_issuer_policy_in_issuers_entries(jwks_config: Any, provider: Any) -> None:
    from jwks_auth.conf.settings import issuer_configs

    jwks_config(ISSUERS=[{"ISSUER": provider.issuer, "DPOP": "required", "DPOP_NONCE": True}, {"ISSUER": "https://b"}])
    first, second = issuer_configs()
    assert (first.dpop, first.dpop_nonce) == ("required", True)
    assert (second.dpop, second.dpop_nonce) == ("allowed", False)


def test_good_values_have_no_problems() -> None:
    good = {
        "DPOP": "required",
        "DPOP_NONCE": True,
        "DPOP_ALGORITHMS": ["ES256", "RS256"],
        "PROXY": {
            "ADDRESSES": ["10.0.0.0/8", "::1"],
            "PUBLIC_ORIGINS": ["https://gw.example.com/api"],
            "CLIENT_CERT_HEADER": "Client-Cert",
            "CLIENT_CERT_FORMAT": "rfc9440",
            "FORWARDED_HEADERS": ["Forwarded"],
        },
    }
    assert settings_schema.problems(good, DEFAULTS) == []
    assert settings_schema.problems({"PROXY": {"FORWARDED_HEADERS": ["x-forwarded-proto"]}}, DEFAULTS) == []
