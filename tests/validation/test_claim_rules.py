"""One set of claim rules for JWTs and introspection answers (jwks_auth.validation.claims)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jwks_auth import signals
from jwks_auth.exceptions import InvalidClaims
from jwks_auth.reasons import Reason
from jwks_auth.validation.claims import ClaimContext, ClaimRules
from tests.conftest import bearer
from tests.support.introspection_server import IntrospectionServer

pytestmark = pytest.mark.django_db(databases=[])

NOW = int(time.time())
#: Claims that both kinds of token must be refused for, with the reason each is refused with.
BAD_CLAIMS: list[tuple[dict[str, Any], Reason]] = [
    ({"sub": 42}, Reason.CLAIM_TYPE),
    ({"jti": ["a"]}, Reason.CLAIM_TYPE),
    ({"client_id": 5}, Reason.CLAIM_TYPE),
    ({"azp": 1}, Reason.CLAIM_TYPE),
    ({"cid": {}}, Reason.CLAIM_TYPE),
    ({"token_use": 0}, Reason.CLAIM_TYPE),
    ({"username": 7}, Reason.CLAIM_TYPE),
    ({"token_type": True}, Reason.CLAIM_TYPE),
    ({"exp": "tomorrow"}, Reason.CLAIM_TYPE),
    ({"nbf": "soon"}, Reason.CLAIM_TYPE),
    ({"iat": "now"}, Reason.CLAIM_TYPE),
    ({"exp": NOW - 3600}, Reason.EXPIRED),
    ({"nbf": NOW + 3600}, Reason.NOT_YET_VALID),
    ({"iat": NOW + 3600}, Reason.ISSUED_IN_FUTURE),
    ({"aud": "other-api"}, Reason.AUDIENCE),
    ({"aud": []}, Reason.AUDIENCE),
    ({"aud": ["api1", 5]}, Reason.AUDIENCE),
    ({"at_hash": "x"}, Reason.ID_TOKEN),
    ({"scope": 5}, Reason.CLAIM_TYPE),
]


@pytest.fixture
def server() -> Iterator[IntrospectionServer]:
    endpoint = IntrospectionServer()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def reasons() -> Iterator[list[Any]]:
    seen: list[Any] = []

    def receive(sender: Any, reason: Any, **kwargs: Any) -> None:
        seen.append(reason)

    signals.token_rejected.connect(receive, weak=False)
    yield seen
    signals.token_rejected.disconnect(receive)


def _opaque(server: IntrospectionServer, issuer: str, **claims: Any) -> str:
    token = secrets.token_hex(32)
    answer = {
        "active": True,
        "iss": issuer,
        "client_id": "client",
        "sub": "818727",
        "scope": "api1",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 3600,
        "aud": "api1",
    }
    answer.update(claims)
    server.tokens[token] = answer
    return token


# Ids without the values: some are times, and two xdist workers collecting in different seconds must agree.
@pytest.mark.parametrize(
    ("claims", "reason"), BAD_CLAIMS, ids=[f"{i}-{'-'.join(c)}-{r.value}" for i, (c, r) in enumerate(BAD_CLAIMS)]
)
def test_a_jwt_and_an_introspection_answer_are_refused_for_the_same_claim(
    client, jwks_config, make_token, provider, server, reasons, claims, reason
):
    jwks_config(
        INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%", "CACHE": False}
    )
    assert client.get("/me", **bearer(make_token())).status_code == 200  # both paths work at all
    assert client.get("/me", **bearer(_opaque(server, provider.issuer))).status_code == 200

    jwt = client.get("/me", **bearer(make_token(**claims)))
    introspected = client.get("/me", **bearer(_opaque(server, provider.issuer, **claims)))
    assert (jwt.status_code, introspected.status_code) == (401, 401)
    assert reasons == [reason, reason]


def test_registered_claims_are_optional_in_an_introspection_answer_only(
    client, jwks_config, make_token, provider, server, reasons
):
    """RFC 7662 2.2: only ``active`` is required; a JWT must carry what its profile requires."""
    jwks_config(
        INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%", "CACHE": False}
    )
    token = secrets.token_hex(32)
    server.tokens[token] = {"active": True, "sub": "818727", "scope": "api1"}
    assert client.get("/me", **bearer(token)).status_code == 200
    for name in ("exp", "aud", "client_id", "iat", "jti"):
        assert client.get("/me", **bearer(make_token(**{name: None}))).status_code == 401
    assert reasons == [Reason.MISSING_CLAIM] * 5


class TenantRules(ClaimRules):
    def validate_extra(self, claims: Any, context: ClaimContext) -> None:
        if claims.get("tenant") != "acme":
            raise InvalidClaims("unknown tenant", code=Reason.CLAIM_VALUE)


class NoIatRule(ClaimRules):
    def validate_iat(self, claims: Any, context: ClaimContext) -> None:
        return None


def test_claim_rules_can_be_added_for_both_kinds_of_token(client, jwks_config, make_token, provider, server, reasons):
    jwks_config(
        CLAIM_RULES=f"{__name__}.TenantRules",
        INTROSPECTION={
            "ENDPOINT": server.endpoint,
            "CLIENT_ID": "api1",
            "CLIENT_SECRET": "p@ss:w/rd+%",
            "CACHE": False,
        },
    )
    assert client.get("/me", **bearer(make_token(tenant="acme"))).status_code == 200
    assert client.get("/me", **bearer(_opaque(server, provider.issuer, tenant="acme"))).status_code == 200
    assert client.get("/me", **bearer(make_token(tenant="other"))).status_code == 401
    assert client.get("/me", **bearer(_opaque(server, provider.issuer))).status_code == 401
    assert reasons == [Reason.CLAIM_VALUE, Reason.CLAIM_VALUE]


def test_a_claim_rule_can_be_overridden(client, jwks_config, make_token):
    future = make_token(iat=NOW + 3600)
    jwks_config()
    assert client.get("/me", **bearer(future)).status_code == 401
    jwks_config(CLAIM_RULES=NoIatRule)
    assert client.get("/me", **bearer(future)).status_code == 200


@pytest.mark.parametrize(
    "value", ["tests.validation.test_claim_rules.BAD_CLAIMS", "jwks_auth.validation.claims.check_claims"]
)
def test_claim_rules_that_are_not_claim_rules_are_a_503_and_a_check_error(client, jwks_config, make_token, value):
    from django.core.checks import run_checks

    jwks_config(CLAIM_RULES=value)
    response = client.get("/me", **bearer(make_token()))
    assert response.status_code == 503
    assert any(error.id == "jwks_auth.E009" for error in run_checks())
