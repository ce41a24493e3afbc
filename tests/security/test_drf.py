"""DRF's two traps around RFC 6750, and how they are avoided.

1. DRF answers 403 instead of 401 to ``NotAuthenticated``/``AuthenticationFailed``
   when the *first* authentication class has no ``authenticate_header()``.
2. DRF's 403 responses carry no ``WWW-Authenticate``.

jwks_auth's errors are ``APIException``s with their own ``auth_header`` (not
``AuthenticationFailed``), so their status and challenge survive whatever
class comes first; the permission raises its own 403 with the challenge. The
no-credentials case (DRF's own ``NotAuthenticated``) depends on the first
class, so the project keeps JWKSAuthentication first wherever it is used —
which a test below enforces over the whole URLconf.
"""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings

from jwks_auth.authentication import JWKSAuthentication
from tests.security.conftest import RESOURCE_METADATA, assert_no_leak, assert_outcome, secrets_of
from tests.support.drf_routes import jwks_first_problems

pytestmark = [pytest.mark.django_db(databases=[]), pytest.mark.urls("tests.security.urls")]


CASES = {
    "invalid token": ("WT", lambda t, mk: f"Bearer {t[:-3]}AAA"),
    "malformed request": ("WR", lambda t, mk: f"Bearer {t} {t}"),
    "joined headers": ("WR", lambda t, mk: f"Basic YTpi,Bearer {t}"),
    "insufficient scope": ("WS", lambda t, mk: f"Bearer {mk(scope='openid')}"),
    "expired": ("WT", lambda t, mk: f"Bearer {mk(exp=1)}"),
    "valid": ("200", lambda t, mk: f"Bearer {t}"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bearer_errors_keep_status_and_challenge_behind_session_authentication(judge, token, make_token, name):
    kind, header = CASES[name]
    value = header(token, make_token)
    response = judge.expect(kind, value, path="/session-first", secret=value.split(" ", 1)[1].split(",")[0])
    if kind == "WS":
        assert response.status_code == 403 and "WWW-Authenticate" in response.headers


def test_keys_unavailable_keeps_503_behind_session_authentication(judge, provider, token):
    provider.stop()
    response = judge.expect("503", f"Bearer {token}", path="/session-first", secret=token, then_valid=False)
    assert "WWW-Authenticate" not in response.headers


def test_insufficient_scope_403_carries_the_challenge_on_me(judge, make_token):
    """Trap 2: DRF's own 403s have no challenge; ours does, with the scope needed."""
    response = judge.token("WS", make_token(scope="openid"), scopes="api1")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


@pytest.mark.parametrize("path", ["/me", "/is-authenticated"])
def test_no_credentials_is_401_with_the_challenge_when_bearer_is_first(judge, path):
    judge.expect("W0", None, path=path)
    judge.expect("W0", "Basic YTpi", path=path)


def test_drf_trap_reproduced_when_another_class_is_first(judge):
    """Why the ordering rule below exists: with SessionAuthentication first and no
    credentials at all, DRF itself answers 403 without a challenge."""
    response = judge.send(None, path="/session-first")
    assert response.status_code == 403 and "WWW-Authenticate" not in response.headers


def test_jwks_authentication_is_first_wherever_the_project_uses_it():
    """EndpointCheck against trap 1 for the no-credentials case, over the test URLconf (tests/project: the sample's)."""
    assert api_settings.DEFAULT_AUTHENTICATION_CLASSES[0] is JWKSAuthentication
    checked, problems = jwks_first_problems("tests.urls")
    assert problems == []
    assert checked >= 1  # at least /me


def test_response_helpers_catch_a_leak(token):
    """The leak check itself can fail: a response echoing the token is caught."""
    from django.http import HttpResponse

    response = HttpResponse(f'{{"detail":"bad token {token}"}}', status=401)
    with pytest.raises(AssertionError):
        assert_no_leak(response, secrets_of(token), None)
    response = HttpResponse("{}", status=401)
    response["WWW-Authenticate"] = (
        f'Bearer realm="api", error="invalid_token", error_description="{token}", '
        f'resource_metadata="{RESOURCE_METADATA}"'
    )
    with pytest.raises(AssertionError, match="outside RFC 6750|short"):
        assert_outcome(response, "WT")
    with pytest.raises(AssertionError, match="echoed in a response header"):
        assert_no_leak(response, secrets_of(token), None)


def test_the_ordering_guard_catches_another_class_first():
    """The guard itself can fail: tests.security.urls has SessionAuthentication ahead of JWKSAuthentication."""
    _, problems = jwks_first_problems("tests.security.urls")
    assert any("session-first: SessionAuthentication comes first" in problem for problem in problems)
