"""DPoP and certificate binding in the framework-neutral front door: a plain Django HttpRequest, no DRF.

What every adapter (DRF, Ninja, plain Django) gets from the core: the
binding on the token, the refusal with its scheme, challenge and reason, and
the ``DPoP-Nonce`` to send, on the credential and on the refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory

from jwks_auth.exceptions import CannotDecide, InvalidRequest, NonceRequired, ProofError, TokenError
from jwks_auth.reasons import Reason
from jwks_auth.web.request_verifier import Credential, DPoPScheme, RequestVerifier
from jwks_auth.web.www_authenticate import refusal_challenge
from tests.conftest import KIT_ISSUER
from tests.support import dpop, kit_fixtures
from tests.support.challenges import parse_challenges
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])

# In this module the issuer is the testing kit's (impersonated in process).
jwks_config = kit_fixtures.jwks_config
make_token = kit_fixtures.make_token
URL = "http://testserver/orders"
PROXY = "10.0.0.7"


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return SigningKey.ec(kid="client-ec")


def _request(authorization: str, proof: str | None = None, **extra: Any) -> Any:
    extra["HTTP_AUTHORIZATION"] = authorization
    if proof is not None:
        extra["HTTP_DPOP"] = proof
    return RequestFactory().get("/orders", **extra)


class Told:
    """The door's ``rejected`` hook: every refusal's reason and issuer."""

    def __init__(self) -> None:
        self.calls: list[tuple[Reason, str | None]] = []

    def __call__(self, reason: Reason, issuer: str | None) -> None:
        self.calls.append((reason, issuer))


def _refusal(door: RequestVerifier, request: Any) -> Any:
    credential = door.credential(request)
    assert credential is not None
    with pytest.raises((TokenError, InvalidRequest, CannotDecide)) as caught:
        door.verify(credential, request)
    return caught.value


def test_a_dpop_request_gives_the_token_with_its_binding(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    door = RequestVerifier()
    for _ in range(2):  # the second from the verified-token cache: its proof is checked all the same
        _, access_token = door.authenticate(_request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token)))
        assert access_token.binding is not None
        assert (access_token.scheme, access_token.binding.jkt, access_token.binding.x5t_s256) == (
            "DPoP",
            dpop.thumbprint(ec),
            None,
        )
    # The cached token itself is shared by requests: it never carries one request's binding.
    plain = door.validator().validate(token)
    assert plain.binding is None and plain.scheme == "Bearer"


def test_a_plain_bearer_token_has_no_binding(jwks_config: Any, token: str) -> None:
    _, access_token = RequestVerifier().authenticate(_request(f"Bearer {token}"))
    assert access_token.binding is None and access_token.scheme == "Bearer"


def test_a_certificate_bound_token_carries_the_certificate_thumbprint(
    jwks_config: Any, make_token: Callable[..., str]
) -> None:
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": "Client-Cert", "CLIENT_CERT_FORMAT": "rfc9440"})
    _, certificate = dpop.client_certificate("mine")
    token = make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certificate)})
    _, access_token = RequestVerifier().authenticate(
        _request(f"Bearer {token}", REMOTE_ADDR=PROXY, HTTP_CLIENT_CERT=dpop.rfc9440_header(certificate))
    )
    assert access_token.binding is not None
    assert (access_token.scheme, access_token.binding.jkt, access_token.binding.x5t_s256) == (
        "Bearer",
        None,
        dpop.cert_thumbprint(certificate),
    )


def test_a_bad_proof_is_invalid_dpop_proof_on_the_dpop_challenge(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    told = Told()
    door = RequestVerifier(rejected=told)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    refusal = _refusal(door, _request(f"DPoP {token}", dpop.make_proof(ec, "POST", URL, token=token)))
    assert isinstance(refusal, ProofError) and (refusal.status, refusal.error) == (401, "invalid_dpop_proof")
    assert refusal.reason is Reason.DPOP_HTM and refusal.scheme == "DPoP"
    challenges = dict(parse_challenges(refusal_challenge(refusal)))
    assert challenges["DPoP"]["error"] == "invalid_dpop_proof" and "error" not in challenges["Bearer"]
    # The refusal is told with the token's issuer: the token itself was valid.
    assert told.calls == [(Reason.DPOP_HTM, KIT_ISSUER)]


def test_a_replayed_proof_is_dpop_replay(jwks_config: Any, make_token: Callable[..., str], ec: SigningKey) -> None:
    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    proof = dpop.make_proof(ec, "GET", URL, token=token)
    door.authenticate(_request(f"DPoP {token}", proof))
    assert _refusal(door, _request(f"DPoP {token}", proof)).reason is Reason.DPOP_REPLAY


def test_a_bound_token_as_bearer_is_invalid_token_on_the_bearer_challenge(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    refusal = _refusal(RequestVerifier(), _request(f"Bearer {token}", dpop.make_proof(ec, "GET", URL, token=token)))
    # The binding error itself (one refusal hierarchy): a 401 invalid_token, not a DPoP proof error.
    assert isinstance(refusal, TokenError) and not isinstance(refusal, ProofError)
    assert (refusal.status, refusal.error) == (401, "invalid_token")
    assert refusal.reason is Reason.DPOP_DOWNGRADE and refusal.scheme == "Bearer"
    challenges = dict(parse_challenges(refusal_challenge(refusal)))
    assert challenges["Bearer"]["error"] == "invalid_token" and "error" not in challenges["DPoP"]


def test_a_nonce_issuer_sends_a_nonce_on_the_refusal_and_on_the_credential(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    jwks_config(DPOP_NONCE=True)
    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    refusal = _refusal(door, _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token)))
    assert isinstance(refusal, NonceRequired) and refusal.reason is Reason.DPOP_NONCE
    assert dict(parse_challenges(refusal_challenge(refusal)))["DPoP"]["error"] == "use_dpop_nonce"
    nonce = refusal.headers["DPoP-Nonce"]
    request = _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token, nonce=nonce))
    credential = door.credential(request)
    assert isinstance(credential, Credential) and credential.headers == {}
    door.verify(credential, request)
    assert credential.headers["DPoP-Nonce"]  # for the client's next proof


def test_two_dpop_headers_are_a_bad_request(jwks_config: Any, make_token: Callable[..., str], ec: SigningKey) -> None:
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    one, two = (dpop.make_proof(ec, "GET", URL, token=token) for _ in range(2))
    with pytest.raises(InvalidRequest) as caught:
        RequestVerifier().credential(_request(f"DPoP {token}", f"{one},{two}"))
    assert caught.value.description == "more than one DPoP proof"


@pytest.mark.parametrize("header", ["Bearer abc,DPoP", "DPoP abc,Bearer", "Basic x, DPoP y"])
def test_a_credential_of_the_other_scheme_joined_on_is_a_bad_request(jwks_config: Any, header: str) -> None:
    with pytest.raises(InvalidRequest):
        RequestVerifier().credential(_request(header))


def test_the_replay_store_down_is_503_replay_unavailable(
    jwks_config: Any, settings: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    jwks_config(CACHE_ALIAS="down")
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    refusal = _refusal(RequestVerifier(), _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token)))
    assert isinstance(refusal, CannotDecide) and refusal.reason is Reason.REPLAY_UNAVAILABLE
    assert refusal.retry_after >= 1 and refusal_challenge(refusal) is None


def test_a_door_with_bearer_only_still_refuses_a_bound_token(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """The binding is checked by every scheme: a door without DPoP never lets a bound token in as Bearer."""
    from jwks_auth.web.request_verifier import BearerScheme

    door = RequestVerifier(schemes=(BearerScheme(),))
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    assert _refusal(door, _request(f"Bearer {token}")).reason is Reason.DPOP_DOWNGRADE
    assert door.credential(_request(f"DPoP {token}")) is None
    assert [type(scheme) for scheme in RequestVerifier().schemes][-1] is DPoPScheme


def test_a_proof_from_the_past_is_refused_even_for_a_cached_token(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    door.authenticate(_request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token)))
    old = dpop.make_proof(ec, "GET", URL, token=token, iat=int(time.time()) - 120)
    assert _refusal(door, _request(f"DPoP {token}", old)).reason is Reason.DPOP_IAT


# -- on an event loop (RequestVerifier.aauthenticate: Ninja's and the decorators' async path) ---------------
def test_the_async_door_checks_the_proof_too(jwks_config: Any, make_token: Callable[..., str], ec: SigningKey) -> None:
    """``averify`` runs ``abind``: a proof off the loop, a bound token never accepted as Bearer."""
    import asyncio

    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    proof = dpop.make_proof(ec, "GET", URL, token=token)
    _, access_token = asyncio.run(door.aauthenticate(_request(f"DPoP {token}", proof)))
    assert access_token.binding is not None and access_token.binding.jkt == dpop.thumbprint(ec)
    for request, reason in (
        (_request(f"DPoP {token}", proof), Reason.DPOP_REPLAY),
        (_request(f"Bearer {token}"), Reason.DPOP_DOWNGRADE),
        (_request(f"DPoP {token}"), Reason.DPOP_MISSING),
    ):
        with pytest.raises(TokenError) as caught:
            asyncio.run(door.aauthenticate(request))
        assert caught.value.reason is reason


def test_a_plain_bearer_token_stays_on_the_loop(jwks_config: Any, token: str) -> None:
    """No proof and no cnf: ``abind`` has nothing to check and no thread is used."""
    import asyncio

    from jwks_auth.sender.constraint import needs_binding

    door = RequestVerifier()
    door.authenticate(_request(f"Bearer {token}"))  # warm: keys and the verified-token cache
    _, access_token = asyncio.run(door.aauthenticate(_request(f"Bearer {token}")))
    assert access_token.binding is None and not needs_binding(access_token, dpop=False)
    assert needs_binding(access_token, dpop=True)


def test_the_other_doors_answer_with_the_nonce(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """``answers.answer`` (Ninja, plain Django) sends what the refusal carries, as DRF does."""
    from jwks_auth.web.responses import answer

    jwks_config(DPOP_NONCE=True)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    refusal = _refusal(RequestVerifier(), _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token)))
    answered = answer(refusal)
    assert answered.status == 401 and answered.headers["DPoP-Nonce"] == refusal.headers["DPoP-Nonce"]
    assert dict(parse_challenges(answered.headers["WWW-Authenticate"]))["DPoP"]["error"] == "use_dpop_nonce"


def test_the_guard_hands_the_credential_of_an_accepted_request(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """``EndpointCheck.credential`` + ``verify``: what Ninja and the decorators read the answer's headers from."""
    from jwks_auth.web.endpoint_check import EndpointCheck

    jwks_config(DPOP_NONCE=True)
    guard = EndpointCheck(["api1"])
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    nonce = _refusal(guard.door, _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token))).headers[
        "DPoP-Nonce"
    ]
    request = _request(f"DPoP {token}", dpop.make_proof(ec, "GET", URL, token=token, nonce=nonce))
    credential = guard.credential(request)
    assert credential is not None
    _, access_token = guard.verify(credential, request)
    assert access_token.binding is not None and credential.headers["DPoP-Nonce"]
    assert guard.credential(_request("Basic x"), required=False) is None


def test_a_host_accepted_before_is_refused_once_allowed_hosts_drops_it(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey, settings: Any
) -> None:
    """The accepted-host memo (jwks_auth.sender.django_request) forgets a host when ALLOWED_HOSTS changes."""
    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    url = "http://api.example/orders"

    def request() -> Any:
        return _request(f"DPoP {token}", dpop.make_proof(ec, "GET", url, token=token), HTTP_HOST="api.example")

    settings.ALLOWED_HOSTS = ["api.example"]
    for _ in range(2):  # the second from the memo
        _, access_token = door.authenticate(request())
        assert access_token.binding is not None
    settings.ALLOWED_HOSTS = ["other.example"]
    assert _refusal(door, request()).reason is Reason.DPOP_HTU
    settings.ALLOWED_HOSTS = ["api.example"]
    _, access_token = door.authenticate(request())
    assert access_token.binding is not None


def test_a_request_class_with_its_own_host_reading_is_never_answered_from_the_memo(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey, settings: Any
) -> None:
    """get_host reads _get_raw_host and get_port: a class overriding one of them is asked, not the memo."""
    door = RequestVerifier()
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    url = "http://api.example/orders"
    settings.ALLOWED_HOSTS = ["api.example", "gateway.example"]

    def request() -> Any:
        return _request(f"DPoP {token}", dpop.make_proof(ec, "GET", url, token=token), HTTP_HOST="api.example")

    door.authenticate(request())  # api.example, from these headers, is in the memo now
    gateway = request()
    gateway.__class__ = type("GatewayRequest", (type(gateway),), {"_get_raw_host": lambda self: "gateway.example"})
    assert gateway.get_host() == "gateway.example"
    assert _refusal(door, gateway).reason is Reason.DPOP_HTU  # the proof names api.example
