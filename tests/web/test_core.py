"""The framework-neutral front door: a plain Django HttpRequest in, an AccessToken or a Refusal out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import CannotDecide, InvalidRequest, TokenError
from jwks_auth.reasons import Reason
from jwks_auth.users import TokenUser
from jwks_auth.validation.validator import TokenValidator, get_validator
from jwks_auth.web.request_verifier import BearerScheme, RequestVerifier, Scheme
from jwks_auth.web.www_authenticate import refusal_challenge

pytestmark = pytest.mark.django_db(databases=[])


def _request(authorization: str | None = None, path: str = "/anything", **extra: Any) -> Any:
    if authorization is not None:
        extra["HTTP_AUTHORIZATION"] = authorization
    return RequestFactory().get(path, **extra)


def test_a_valid_token_gives_the_user_and_the_token(jwks_config, token, provider):
    user, access_token = RequestVerifier().authenticate(_request(f"Bearer {token}"))
    assert isinstance(access_token, AccessToken) and access_token.issuer == provider.issuer
    assert access_token.config is not None and access_token.config.issuer == provider.issuer
    assert isinstance(user, TokenUser) and user.username == access_token["sub"]


def test_no_authorization_header_or_another_scheme_is_no_credential(jwks_config):
    assert RequestVerifier().authenticate(_request()) is None
    assert RequestVerifier().authenticate(_request("Basic dXNlcjpwYXNz")) is None


@pytest.mark.parametrize("header", ["", " ", "\t"])
def test_an_empty_authorization_header_is_401(jwks_config, header):
    """granian passes a header with a non-ASCII byte on as an empty value: the token was sent, and is refused."""
    with pytest.raises(TokenError) as caught:
        RequestVerifier().authenticate(_request(header))
    assert (caught.value.status, caught.value.error) == (401, "invalid_token")
    assert caught.value.description == "unreadable authorization header"


@pytest.mark.parametrize(
    "header, path",
    [
        ("Bearer ", "/x"),
        ("Bearer a b", "/x"),
        ("Bearer a,Bearer b", "/x"),
        ("Basic x, Bearer y", "/x"),
        ("Bearer abc", "/x?access_token=abc"),
    ],
)
def test_malformed_requests_are_400_invalid_request(jwks_config, header, path):
    with pytest.raises(InvalidRequest) as caught:
        RequestVerifier().authenticate(_request(header, path))
    refusal = caught.value
    assert (refusal.status, refusal.error) == (400, "invalid_request")
    assert refusal_challenge(refusal).startswith('Bearer realm="api", error="invalid_request"')


def test_a_bad_token_is_401_with_its_reason_and_the_signal(jwks_config, make_token):
    told: list[tuple[Reason, str | None]] = []
    door = RequestVerifier(rejected=lambda reason, issuer: told.append((reason, issuer)))
    with pytest.raises(TokenError) as caught:
        door.authenticate(_request("Bearer " + make_token(aud="someone-else")))
    assert (caught.value.status, caught.value.error, caught.value.reason) == (401, "invalid_token", Reason.AUDIENCE)
    assert caught.value.description == "invalid audience"
    assert told == [(Reason.AUDIENCE, None)]


def test_an_outage_is_503_with_retry_after(jwks_config, provider, token):
    provider.failure = 500
    with pytest.raises(CannotDecide) as caught:
        RequestVerifier().authenticate(_request(f"Bearer {token}"))
    assert caught.value.status == 503 and caught.value.retry_after >= 1 and refusal_challenge(caught.value) is None
    assert caught.value.reason is Reason.KEYS_UNAVAILABLE


def test_a_setting_that_cannot_work_is_503_not_500(jwks_config, token):
    jwks_config(USER_RESOLVER="no.such.module")
    with pytest.raises(CannotDecide) as caught:
        RequestVerifier().authenticate(_request(f"Bearer {token}"))
    assert caught.value.reason is Reason.MISCONFIGURED and caught.value.retry_after == 60


def test_another_scheme_receives_the_whole_request(jwks_config, token):
    """What a DPoP scheme needs: the method and the URL the token is used for."""
    seen: list[tuple[str, str]] = []

    class Proof(Scheme):
        name = "DPoP"

        def validate(self, token: str, request: Any, validator: TokenValidator) -> AccessToken:
            seen.append((request.method, request.build_absolute_uri()))
            return validator.validate(token)

    door = RequestVerifier(schemes=(BearerScheme(), Proof()))
    _, access_token = door.authenticate(_request(f"DPoP {token}", "/orders?page=2"))
    assert seen == [("GET", "http://testserver/orders?page=2")] and access_token.issuer
    with pytest.raises(InvalidRequest):
        door.authenticate(_request(f"Bearer {token}, DPoP {token}"))


def test_the_validator_can_be_another_one(jwks_config, token):
    used: list[TokenValidator] = []

    def validator() -> TokenValidator:
        used.append(get_validator())
        return used[-1]

    RequestVerifier(validator=validator).authenticate(_request(f"Bearer {token}"))
    assert len(used) == 1


def test_the_drf_class_can_use_another_validator(jwks_config, provider, token, settings):
    """``JWKSAuthentication.get_validator`` is the hook; the answer keeps DRF's byte-identical shape."""
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from jwks_auth.authentication import JWKSAuthentication
    from jwks_auth.conf.settings import issuer_configs
    from jwks_auth.validation.validator import IssuerRegistry

    calls: list[str] = []

    class Counting(TokenValidator):
        def validate(self, token: str, *, use_cache: bool = True) -> AccessToken:
            calls.append("validate")
            return super().validate(token, use_cache=use_cache)

    class Ours(JWKSAuthentication):
        validator = Counting(IssuerRegistry(issuer_configs()))

        def get_validator(self) -> TokenValidator:
            return self.validator

    class View(APIView):
        authentication_classes = [Ours]

        def get(self, request: Any) -> Any:
            from rest_framework.response import Response

            return Response({"sub": request.auth["sub"]})

    factory = APIRequestFactory()
    assert View.as_view()(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}")).status_code == 200
    refused = View.as_view()(factory.get("/", HTTP_AUTHORIZATION="Bearer x.y.z"))
    refused.render()
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith('Bearer realm="api", error=')
    assert calls == ["validate", "validate"]


def test_the_drf_class_builds_its_door_once_and_calls_the_hooks_a_subclass_overrides(jwks_config, token, make_token):
    """One RequestVerifier per class, kept across requests; a subclass's get_user and rejected are still called."""
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from jwks_auth.authentication import JWKSAuthentication

    told: list[Reason] = []

    class Named(JWKSAuthentication):
        def get_user(self, token: AccessToken) -> Any:
            return TokenUser(token, id_claim="client_id")

        def rejected(self, reason: Reason, issuer: str | None) -> None:
            told.append(reason)

    class View(APIView):
        authentication_classes = [Named]

        def get(self, request: Any) -> Any:
            return Response({"user": request.user.username})

    factory = APIRequestFactory()
    for _ in range(2):
        answer = View.as_view()(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
        answer.render()
        assert (answer.status_code, answer.data) == (200, {"user": "client"})
    assert Named().door() is Named().door()
    assert Named().door() is not JWKSAuthentication().door()  # the base class keeps its own
    refused = View.as_view()(factory.get("/", HTTP_AUTHORIZATION="Bearer " + make_token(aud="someone-else")))
    assert refused.status_code == 401 and told == [Reason.AUDIENCE]


def test_a_challenge_follows_the_settings_it_was_built_from(jwks_config, settings):
    """WWW-Authenticate values are kept per arguments, and forgotten when JWKS_AUTH changes."""
    from jwks_auth.web.www_authenticate import bearer_challenge

    assert bearer_challenge("invalid_token", "invalid audience").startswith('Bearer realm="api", ')
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "REALM": "elsewhere"}
    assert bearer_challenge("invalid_token", "invalid audience").startswith('Bearer realm="elsewhere", ')
    assert bearer_challenge(scopes=["b", "a", "a"]) == bearer_challenge(scopes=("a", "b"))


def test_the_mixin_keeps_one_guard_per_set_of_scopes_and_still_refuses_bad_names():
    from django.core.exceptions import ImproperlyConfigured
    from django.views import View

    from jwks_auth.decorators import TokenRequiredMixin

    class Orders(TokenRequiredMixin, View):
        required_scopes = ["orders:read"]

    class Same(TokenRequiredMixin, View):
        required_scopes = ("orders:read",)

    class Other(TokenRequiredMixin, View):
        required_scopes = ["orders:write"]

    assert Orders().get_guard() is Orders().get_guard() is Same().get_guard()
    assert Other().get_guard() is not Orders().get_guard()

    class Wrong(TokenRequiredMixin, View):
        required_scopes = "orders:read"  # a string, not a list of names

    with pytest.raises(ImproperlyConfigured):
        Wrong().get_guard()


def test_a_credential_never_shows_its_token(jwks_config, token):
    """A credential is kept on the request (``Admitted``): its repr, and the request's, must not carry the token."""
    from jwks_auth.web.admission import Admitted

    request = _request(f"Bearer {token}")
    door = RequestVerifier()
    credential = door.credential(request)
    assert credential is not None and credential.token == token
    kept = Admitted(credential, *door.verify(credential, request))
    assert token not in repr(credential) and token not in repr(kept)
    assert token.split(".")[2] not in repr(kept)


def test_an_async_user_resolver_gives_its_user_to_the_sync_and_async_doors(jwks_config, token, settings):
    import asyncio

    async def resolver(access_token):
        await asyncio.sleep(0)
        return ("user", access_token["sub"])

    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "USER_RESOLVER": resolver}
    user, access_token = RequestVerifier().authenticate(_request(f"Bearer {token}"))
    assert user == ("user", access_token["sub"])
    user, _ = asyncio.run(RequestVerifier().aauthenticate(_request(f"Bearer {token}")))
    assert user == ("user", access_token["sub"])


def test_a_query_string_too_long_to_read_is_invalid_request(jwks_config, token, settings):
    """As a form body too long to read: whether it holds a second token cannot be told."""
    from jwks_auth.exceptions import InvalidRequest

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"f{index}=1" for index in range(20))
    with pytest.raises(InvalidRequest):
        RequestVerifier().authenticate(_request(f"Bearer {token}", path=f"/anything?{query}"))
