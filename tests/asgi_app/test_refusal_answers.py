"""One refusal hierarchy, one answer: every outcome of ``jwks_auth.exceptions`` gets the same answer at every door.

Each outcome is raised in the core, during a real request with a valid
token of the testing kit's issuer, by the ``USER_RESOLVER`` (the last step
every door runs: the token and its proof are checked by then, and whatever
the step raises is the door's to answer). Each door's adapter (DRF's
``drf_error``, Ninja's ``BearerRefused``, ``json_response`` for the
decorators, the mixin and ``TokenMiddleware``) must then send exactly the
answer ``jwks_auth.web.responses.answer`` computes from the refusal's class:
the status, the whole ``WWW-Authenticate`` header, ``Retry-After`` and the
body. test_same_answers.py sends real bad tokens through the same doors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import AsyncClient, Client

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import (
    ConfigurationError,
    ExpiredToken,
    InsufficientAuthorizationDetails,
    InsufficientScope,
    InsufficientUserAuthentication,
    InvalidRequest,
    KeysUnavailable,
    Misconfigured,
    NoCredential,
    Refusal,
)
from jwks_auth.web.responses import Answer, answer
from jwks_auth.web.www_authenticate import refusal_challenge
from tests.asgi_app.conftest import run
from tests.asgi_app.doors import ASYNC_DOORS, DOORS

pytestmark = pytest.mark.django_db(databases=[])

#: What the resolver raises, by outcome: the status and error each one's class states.
OUTCOMES: dict[str, Callable[[], Exception]] = {
    "400 invalid_request": lambda: InvalidRequest("more than one credential"),
    "401 no credential": NoCredential,
    "401 invalid_token": ExpiredToken,
    "401 insufficient_user_authentication": lambda: InsufficientUserAuthentication(
        (("acr_values", "urn:mfa"), ("max_age", "300"))
    ),
    "403 insufficient_scope": lambda: InsufficientScope(["api1", "orders:write"]),
    "403 insufficient_scope (RAR)": InsufficientAuthorizationDetails,
    "503 cannot decide": lambda: KeysUnavailable("the provider is down", retry_after=7),
    "503 misconfigured": lambda: ConfigurationError("USER_RESOLVER cannot be imported"),
}
#: The challenges' common tail in this project: RFC 9728 metadata, and DPoP offered beside Bearer.
_TAIL = (
    'resource_metadata="http://testserver/.well-known/oauth-protected-resource", DPoP algs="ES256 Ed25519 EdDSA PS256"'
)
_RETRY_BODY = {"detail": "Token verification is temporarily unavailable."}
#: What a client must be told, spelled out: (status, WWW-Authenticate, Retry-After, body).
EXPECTED: dict[str, tuple[int, str | None, str | None, dict[str, str]]] = {
    "400 invalid_request": (
        400,
        f'Bearer realm="api", error="invalid_request", error_description="more than one credential", {_TAIL}',
        None,
        {"detail": "more than one credential"},
    ),
    "401 no credential": (
        401,
        f'Bearer realm="api", {_TAIL}',
        None,
        {"detail": "Authentication credentials were not provided."},
    ),
    "401 invalid_token": (
        401,
        f'Bearer realm="api", error="invalid_token", error_description="token expired", {_TAIL}',
        None,
        {"detail": "token expired"},
    ),
    "401 insufficient_user_authentication": (
        401,
        'Bearer realm="api", error="insufficient_user_authentication", '
        'error_description="A different authentication level is required", acr_values="urn:mfa", max_age="300", '
        + _TAIL,
        None,
        {"detail": "A different authentication level is required"},
    ),
    "403 insufficient_scope": (
        403,
        'Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", '
        f'scope="api1 orders:write", {_TAIL}',
        None,
        {"detail": "insufficient scope"},
    ),
    "403 insufficient_scope (RAR)": (
        403,
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="The access token\'s authorization details do not cover this request.", ' + _TAIL,
        None,
        {"detail": "The access token's authorization details do not cover this request."},
    ),
    "503 cannot decide": (503, None, "7", _RETRY_BODY),
    "503 misconfigured": (503, None, "60", _RETRY_BODY),
}
#: Every door of the test project, and TokenMiddleware in front of DRF's.
PATHS = [*DOORS, "middleware:/me"]
#: The async doors, through Django's ASGI handler (over WSGI, Django runs them with async_to_sync).
ASYNC_PATHS = [*ASYNC_DOORS, "/ninja/ame-sync-auth", "/ninja/me-async-auth", "middleware:/plain/async"]


@dataclass(frozen=True)
class Told:
    """All a client is told: status, challenge, Retry-After, DPoP-Nonce and body."""

    status: int
    challenge: str | None
    retry_after: str | None
    nonce: str | None
    body: Any

    @classmethod
    def of(cls, response: Any) -> Told:
        headers = response.headers
        return cls(
            response.status_code,
            headers.get("WWW-Authenticate"),
            headers.get("Retry-After"),
            headers.get("DPoP-Nonce"),
            json.loads(response.content),
        )


@pytest.fixture
def refusing(kit_settings: None, settings: Any) -> Callable[[str], None]:
    """Makes ``USER_RESOLVER`` raise the outcome named."""

    def use(outcome: str) -> None:
        def resolver(token: AccessToken) -> Any:
            raise OUTCOMES[outcome]()

        settings.JWKS_AUTH = {**settings.JWKS_AUTH, "USER_RESOLVER": resolver}

    return use


def _behind(path: str, settings: Any) -> str:
    if path.startswith("middleware:"):
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "jwks_auth.middleware.TokenMiddleware"]
        return path.removeprefix("middleware:")
    return path


def _expected(outcome: str) -> Told:
    status, challenge, retry_after, body = EXPECTED[outcome]
    return Told(status, challenge, retry_after, None, body)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_every_outcome_gets_one_answer_at_every_door_over_wsgi(
    outcome: str, path: str, refusing: Callable[[str], None], tokens: dict[str, str | None], settings: Any
) -> None:
    refusing(outcome)
    response = Client().get(_behind(path, settings), headers={"Authorization": tokens["valid"]})
    assert Told.of(response) == _expected(outcome)


@pytest.mark.parametrize("path", ASYNC_PATHS)
@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_every_outcome_gets_one_answer_at_every_door_over_asgi(
    outcome: str, path: str, refusing: Callable[[str], None], tokens: dict[str, str | None], settings: Any
) -> None:
    refusing(outcome)

    async def ask() -> Any:
        return await AsyncClient().get(_behind(path, settings), headers={"Authorization": tokens["valid"]})

    assert Told.of(run(ask())) == _expected(outcome)


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_each_class_states_its_status_error_and_description_once(outcome: str, kit_settings: None) -> None:
    """The answer is the class's: its status and error are class attributes, its challenge and body built
    from them alone (``refusal_challenge``, ``answer``), whatever the door."""
    raised = OUTCOMES[outcome]()
    if isinstance(raised, ConfigurationError):
        raised = Misconfigured()  # what the core makes of one
    assert isinstance(raised, Refusal)
    assert "status" not in vars(raised) and "error" not in vars(raised)
    status, challenge, retry_after, body = EXPECTED[outcome]
    assert (raised.status, refusal_challenge(raised)) == (status, challenge)
    assert answer(raised) == Answer(
        status,
        body["detail"],
        {name: value for name, value in (("WWW-Authenticate", challenge), ("Retry-After", retry_after)) if value},
    )


#: Settings that give no challenge, each refused token still answered: (setting, value).
_UNUSABLE = [("REALM", 5), ("RESOURCE", "http://[::1")]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("setting", "value"), _UNUSABLE)
def test_a_setting_that_gives_no_challenge_still_answers_every_refusal(
    setting: str, value: Any, path: str, tokens: dict[str, str | None], settings: Any, caplog: Any
) -> None:
    """Not a 500 at any door: a request without a token is told so on the plain fallback challenge, one with
    a token that the settings forbid checking is a 503; the log names the setting."""
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, setting: value}
    path = _behind(path, settings)
    assert Told.of(Client().get(path)) == Told(
        401, 'Bearer realm="api"', None, None, {"detail": "Authentication credentials were not provided."}
    )
    assert f"JWKS_AUTH['{setting}']" in caplog.text
    response = Client().get(path, headers={"Authorization": tokens["expired"]})
    assert response.status_code in (401, 503)
    assert response.status_code == 503 or response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("setting", "value"), _UNUSABLE)
def test_answer_never_raises(setting: str, value: Any, kit_settings: None, settings: Any) -> None:
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, setting: value}
    assert answer(NoCredential()).headers == {"WWW-Authenticate": 'Bearer realm="api"'}


class _AsyncCallable:
    """A resolver object whose ``__call__`` is ``async def`` (``inspect.iscoroutinefunction`` says no)."""

    async def __call__(self, token: AccessToken) -> Any:
        raise ExpiredToken()


async def _async_refusing(token: AccessToken) -> Any:
    raise ExpiredToken()


@pytest.mark.parametrize("resolver", [_async_refusing, _AsyncCallable()], ids=["async-def", "async-call"])
@pytest.mark.parametrize("path", PATHS)
def test_an_async_user_resolver_is_awaited_at_every_sync_door(
    resolver: Any, path: str, kit_settings: None, tokens: dict[str, str | None], settings: Any
) -> None:
    """Its refusal is the answer; never a coroutine as ``request.user`` and a 200."""
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "USER_RESOLVER": resolver}
    response = Client().get(_behind(path, settings), headers={"Authorization": tokens["valid"]})
    assert Told.of(response) == _expected("401 invalid_token")


@pytest.mark.parametrize("resolver", [_async_refusing, _AsyncCallable()], ids=["async-def", "async-call"])
@pytest.mark.parametrize("path", ASYNC_PATHS)
def test_an_async_user_resolver_is_awaited_at_every_async_door(
    resolver: Any, path: str, kit_settings: None, tokens: dict[str, str | None], settings: Any
) -> None:
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "USER_RESOLVER": resolver}

    async def ask() -> Any:
        return await AsyncClient().get(_behind(path, settings), headers={"Authorization": tokens["valid"]})

    assert Told.of(run(ask())) == _expected("401 invalid_token")


def test_a_long_scope_list_is_named_whole(kit_settings: None) -> None:
    scopes = [f"orders:{index:03}:write" for index in range(40)]
    challenge = answer(InsufficientScope(scopes)).headers["WWW-Authenticate"]
    assert f'scope="{" ".join(sorted(scopes))}"' in challenge
