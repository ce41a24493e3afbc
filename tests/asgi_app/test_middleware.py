"""``TokenMiddleware``: a presented token is checked once, before routing, and a bad one refused there.

The door matrices of test_same_answers.py and test_dpop.py are imported and
run again here with the middleware in front (the autouse fixture below):
every door must still give DRF's answer, DPoP proofs and nonces included,
each proof being checked once though two layers see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth import signals
from jwks_auth.authentication import JWKSAuthentication
from jwks_auth.middleware import TokenMiddleware, admitted, exempt_paths
from jwks_auth.reasons import Reason
from jwks_auth.validation.validator import TokenValidator, get_validator
from jwks_auth.web.request_verifier import RequestVerifier
from tests.asgi_app.conftest import run
from tests.asgi_app.doors import DOORS, Seen
from tests.asgi_app.test_dpop import (  # noqa: F401 - run again behind the middleware
    ec,
    test_a_403_after_a_good_proof_carries_the_nonce,
    test_every_door_checks_the_proof,
    test_every_door_sends_the_nonce_it_asks_for,
)
from tests.asgi_app.test_same_answers import (  # noqa: F401 - run again behind the middleware
    test_every_door_answers_as_drf_over_asgi,
    test_every_door_answers_as_drf_over_wsgi,
)
from tests.asgi_app.urls import urlpatterns as door_urls
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])

MIDDLEWARE = "jwks_auth.middleware.TokenMiddleware"


@pytest.fixture(autouse=True)
def _behind_the_middleware(settings: Any) -> None:
    settings.MIDDLEWARE = [MIDDLEWARE]
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class of every front door that verified a token (the real ``verify``, counted)."""
    seen: list[str] = []
    verify, averify = RequestVerifier.verify, RequestVerifier.averify

    def counted(door: RequestVerifier, *args: Any) -> Any:
        seen.append(door.sender.__name__)
        return verify(door, *args)

    async def acounted(door: RequestVerifier, *args: Any) -> Any:
        seen.append(door.sender.__name__)
        return await averify(door, *args)

    monkeypatch.setattr(RequestVerifier, "verify", counted)
    monkeypatch.setattr(RequestVerifier, "averify", acounted)
    return seen


# -- the views of this module -------------------------------------------------------------------
class MappedUser:
    def __init__(self, sub: str) -> None:
        self.sub, self.is_authenticated = sub, True


class MappingAuthentication(JWKSAuthentication):
    def get_user(self, token: Any) -> MappedUser:
        return MappedUser("mapped:" + token.claims["sub"])


class OwnValidatorAuthentication(JWKSAuthentication):
    def get_validator(self) -> TokenValidator:
        return get_validator()


class WhoAmI(APIView):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "user": getattr(request.user, "sub", None) or type(request.user).__name__,
                "admitted": admitted(request._request) is not None,
            }
        )


class MappedWhoAmI(WhoAmI):
    authentication_classes = [MappingAuthentication]


class OwnValidatorWhoAmI(WhoAmI):
    authentication_classes = [OwnValidatorAuthentication]


def plain(request: HttpRequest) -> JsonResponse:
    token = getattr(request, "access_token", None)
    return JsonResponse({"sub": None if token is None else token.claims["sub"]})


urlpatterns = door_urls + [
    path("whoami", WhoAmI.as_view()),
    path("mapped", MappedWhoAmI.as_view()),
    path("own-validator", OwnValidatorWhoAmI.as_view()),
    path("public-plain", plain),
    path("hooks/ping", plain),
]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the tests ----------------------------------------------------------------------------------
@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("door", list(DOORS))
def test_every_door_verifies_a_token_once(
    via: str, door: str, jwks_config: Any, make_token: Callable[..., str], verifications: list[str]
) -> None:
    headers = _bearer(make_token())
    response = Client().get(door, headers=headers) if via == "wsgi" else run(AsyncClient().get(door, headers=headers))
    assert response.status_code == 200
    assert verifications == ["TokenMiddleware"]


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
def test_a_bad_token_is_refused_on_a_public_endpoint_before_its_view(
    via: str, jwks_config: Any, make_token: Callable[..., str], other_key: SigningKey, signing_key: SigningKey
) -> None:
    forged = make_token(key=other_key, header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    for path_ in ("/", "/public-plain", "/nowhere"):  # an unknown path too: refused before routing
        response = (
            Client().get(path_, headers=_bearer(forged))
            if via == "wsgi"
            else run(AsyncClient().get(path_, headers=_bearer(forged)))
        )
        seen = Seen.of(response.status_code, response.headers)
        assert (seen.status, seen.scheme, seen.error) == (401, "Bearer", "invalid_token"), path_
        assert list(response.json()) == ["detail"]
        assert forged not in response.content.decode()


def test_without_a_token_the_request_passes_untouched(jwks_config: Any, verifications: list[str]) -> None:
    client = Client()
    assert client.get("/").status_code == 200
    assert client.get("/public-plain").json() == {"sub": None}
    me = client.get("/me")
    assert me.status_code == 401 and "error=" not in me.headers["WWW-Authenticate"]  # DRF's own 401
    assert verifications == []


def test_the_token_is_on_the_request_for_plain_views(jwks_config: Any, make_token: Callable[..., str]) -> None:
    assert Client().get("/public-plain", headers=_bearer(make_token(sub="alice"))).json() == {"sub": "alice"}


def test_malformed_and_unavailable_get_drfs_answers_early(
    jwks_config: Any, make_token: Callable[..., str], provider: Any
) -> None:
    token = make_token()
    two = Client().get("/", headers={"Authorization": f"Bearer {token}, DPoP {token}"})
    assert Seen.of(two.status_code, two.headers).error == "invalid_request" and two.status_code == 400
    provider.stop()  # cold cache, no provider: 503 with Retry-After, never a 401
    down = Client().get("/", headers=_bearer(token))
    assert down.status_code == 503 and down.headers["Retry-After"]


def test_a_subclass_that_maps_users_maps_the_admitted_token(
    jwks_config: Any, make_token: Callable[..., str], verifications: list[str]
) -> None:
    response = Client().get("/mapped", headers=_bearer(make_token(sub="bob")))
    assert response.json() == {"user": "mapped:bob", "admitted": True}
    assert verifications == ["TokenMiddleware"]


def test_a_subclass_with_its_own_validator_checks_again(
    jwks_config: Any, make_token: Callable[..., str], verifications: list[str]
) -> None:
    response = Client().get("/own-validator", headers=_bearer(make_token()))
    assert response.status_code == 200
    assert verifications == ["TokenMiddleware", "JWKSAuthentication"]


def test_refusals_are_signalled_from_the_middleware(jwks_config: Any, make_token: Callable[..., str]) -> None:
    senders: list[Any] = []

    def receive(sender: Any, reason: Any, **_: Any) -> None:
        senders.append((sender, reason.value))

    signals.token_rejected.connect(receive, weak=False)
    try:
        Client().get("/whoami", headers=_bearer(make_token(aud="other-api")))
    finally:
        signals.token_rejected.disconnect(receive)
    assert senders == [(TokenMiddleware, Reason.AUDIENCE.value)]


def test_without_the_middleware_a_public_endpoint_ignores_tokens(settings: Any, jwks_config: Any) -> None:
    """The difference the middleware makes, shown: DRF checks a token only where a view asks for one."""
    settings.MIDDLEWARE = []
    assert Client().get("/", headers=_bearer("not-a-token")).status_code == 200


# -- MIDDLEWARE_EXEMPT_PATHS --------------------------------------------------------------------
@pytest.mark.parametrize("via", ["wsgi", "asgi"])
def test_an_exempt_path_passes_a_foreign_token_to_its_view(
    via: str, jwks_config: Any, verifications: list[str]
) -> None:
    """A scraper's own bearer token on an exempt path reaches the view, which does not authenticate."""
    jwks_config(MIDDLEWARE_EXEMPT_PATHS=["/public-plain"])
    headers = _bearer("scraper-secret-not-a-jwt")
    response = (
        Client().get("/public-plain", headers=headers)
        if via == "wsgi"
        else run(AsyncClient().get("/public-plain", headers=headers))
    )
    assert (response.status_code, response.json()) == (200, {"sub": None})
    assert verifications == []


def test_an_exemption_moves_the_check_to_the_view(
    jwks_config: Any,
    make_token: Callable[..., str],
    other_key: SigningKey,
    signing_key: SigningKey,
    verifications: list[str],
) -> None:
    """On an exempt path a view authenticating with jwks_auth still refuses a forged token and admits a good one."""
    jwks_config(MIDDLEWARE_EXEMPT_PATHS=["/whoami"])
    forged = make_token(key=other_key, header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    refused = Client().get("/whoami", headers=_bearer(forged))
    assert Seen.of(refused.status_code, refused.headers).error == "invalid_token" and refused.status_code == 401
    good = Client().get("/whoami", headers=_bearer(make_token()))
    assert good.json() == {"user": "TokenUser", "admitted": False}
    assert verifications == ["JWKSAuthentication", "JWKSAuthentication"]


def test_exempt_paths_match_exactly_or_by_a_prefix_ending_in_a_slash(jwks_config: Any) -> None:
    jwks_config(MIDDLEWARE_EXEMPT_PATHS=["/public", "/hooks/"])
    client, foreign = Client(), _bearer("not-a-jwt")
    assert client.get("/hooks/ping", headers=foreign).status_code == 200  # under the prefix
    assert client.get("/hooks/nowhere", headers=foreign).status_code == 404  # routed, not refused
    for refused in ("/public-plain", "/hooks", "/public/", "/Hooks/ping", "/"):
        assert client.get(refused, headers=foreign).status_code == 401, refused
    assert exempt_paths() == (frozenset({"/public"}), ("/hooks/",))


def test_exempt_paths_follow_the_settings(jwks_config: Any) -> None:
    foreign = _bearer("not-a-jwt")
    jwks_config(MIDDLEWARE_EXEMPT_PATHS=["/public-plain"])
    assert Client().get("/public-plain", headers=foreign).status_code == 200
    jwks_config()
    assert Client().get("/public-plain", headers=foreign).status_code == 401


@pytest.mark.parametrize("value", ["/public-plain", ["public-plain"], [None]])
def test_a_bad_exempt_paths_value_exempts_nothing(
    jwks_config: Any, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Reported by the checks (E009); at run time it fails closed: a token is met with the 503 of any bad
    setting (and a log line), never let through and never a 500. Without a token nothing changes."""
    jwks_config(MIDDLEWARE_EXEMPT_PATHS=value)
    assert exempt_paths() == (frozenset(), ())
    response = Client().get("/public-plain", headers=_bearer("not-a-jwt"))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "JWKS_AUTH is misconfigured" in caplog.text
    assert Client().get("/public-plain").json() == {"sub": None}


class ExemptHealthMiddleware(TokenMiddleware):
    def is_exempt(self, request: HttpRequest) -> bool:
        return request.headers.get("X-Probe") == "health"


def test_is_exempt_is_the_hook_for_per_request_decisions(settings: Any, jwks_config: Any) -> None:
    settings.MIDDLEWARE = [f"{__name__}.ExemptHealthMiddleware"]
    foreign = _bearer("not-a-jwt")
    assert Client().get("/public-plain", headers={**foreign, "X-Probe": "health"}).status_code == 200
    assert Client().get("/public-plain", headers=foreign).status_code == 401
