"""Shared machinery of the attack suite.

Every attack goes through the real ``JWKSAuthentication`` in a real Django
request cycle (DRF ``APIClient`` on ``/me``) and is judged by ``Judge``:

* the status and the RFC 6750 challenge, parsed properly (RFC 7235
  grammar, not whole-string comparison) — ``W0`` (401, no error),
  ``WR`` (400 invalid_request), ``WT`` (401 invalid_token), ``WS`` (403
  insufficient_scope), ``503`` (Retry-After) or ``200``;
* no 5xx other than a deliberate 503;
* the token (and its long segments) never appears in the body, in any
  response header or in any log record (caplog at DEBUG);
* a valid token still gets 200 right after.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.support.challenges import parse_challenges
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

RESOURCE_METADATA = "http://testserver/.well-known/oauth-protected-resource"
# RFC 6750 section 3: error, error_description and scope values.
_DESCRIPTION_CHARS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,200}")
_ERROR_CHARS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*")

EXPECTED = {
    "W0": (401, None),
    "WR": (400, "invalid_request"),
    "WT": (401, "invalid_token"),
    "WS": (403, "insufficient_scope"),
    "503": (503, None),
    "200": (200, None),
}
#: What an attack may be answered with; never 200 and never another 5xx.
REFUSALS = frozenset({400, 401, 403, 503})

MISSING = object()


def challenge_of(response: Any, wanted: str) -> dict[str, str]:
    """The parameters of the one ``wanted`` challenge; any other must be the one DPoP challenge (RFC 9449 7.1)."""
    header = response.headers.get("WWW-Authenticate")
    assert header, f"no WWW-Authenticate on a {response.status_code}"
    challenges = parse_challenges(header)
    schemes = [scheme.lower() for scheme, _ in challenges]
    assert schemes.count(wanted) == 1, header
    assert set(schemes) <= {"bearer", "dpop"} and len(schemes) == len(set(schemes)), header
    for scheme, params in challenges:
        if scheme.lower() == "dpop":
            assert params.get("algs") and "HS256" not in params["algs"] and "none" not in params["algs"], header
    return next(params for scheme, params in challenges if scheme.lower() == wanted)


def bearer_params(response: Any) -> dict[str, str]:
    """The parameters of the one Bearer challenge of ``response`` (beside which a DPoP one may stand)."""
    return challenge_of(response, "bearer")


# -- judging responses -------------------------------------------------------------
def secrets_of(token: str | None) -> list[str]:
    """The strings that must never be echoed: the token and its long segments."""
    if not token:
        return []
    values = [token] if len(token) >= 8 else []
    values += [part for part in token.split(".") if len(part) >= 16 and part != token]
    return values


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "<TOKEN>")
    return text


@functools.cache
def _fixed_vocabulary() -> str:
    """Every text the app can answer with on its own: its source, and DRF's and Django's header values."""
    import jwks_auth

    root = Path(jwks_auth.__file__).parent
    return "\n".join(path.read_text() for path in sorted(root.rglob("*.py")))


_FIXED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "vary",
        "allow",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "retry-after",
    }
)


def assert_no_leak(response: Any, secrets: Iterable[str], caplog: pytest.LogCaptureFixture | None) -> None:
    """Plain ``raise`` rather than ``assert``: pytest would print the token it found."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return
    body = response.content.decode("latin-1")
    headers = "\n".join(f"{v}" for k, v in response.headers.items() if k.lower() not in _FIXED_HEADERS)
    logs = ""
    if caplog is not None:
        # What each record says (message and traceback), not the format's logger names and
        # file names, which a short fuzzed "token" such as "jwks_aut" would match.
        formatter = logging.Formatter()
        logs = "\n".join(
            r.getMessage() + ("\n" + formatter.formatException(r.exc_info) if r.exc_info else "")
            for r in caplog.records
        )
    # A short fuzzed "token" that is fixed text of the app ("invalid_", "applicat") cannot be told
    # from that text in the answer: only what is not part of it can be an echo.
    secrets = [s for s in secrets if s not in _fixed_vocabulary()]
    for secret in secrets:
        if secret in body:
            raise AssertionError("token echoed in the response body")
        if secret in headers:
            raise AssertionError("token echoed in a response header")
        if secret in logs:
            raise AssertionError("token written to the log")


def assert_outcome(
    response: Any,
    kind: str,
    *,
    scopes: str | None = None,
    secrets: Iterable[str] = (),
    resource_metadata: str | None = RESOURCE_METADATA,
) -> None:
    """``response`` is exactly the ``kind`` of answer the issue specifies.

    Failure messages are built by hand (and redacted) so that a failing
    case never prints a token.
    """
    status, error = EXPECTED[kind]
    secrets = list(secrets)
    challenge = response.headers.get("WWW-Authenticate")

    def fail(message: str) -> None:
        detail = _redact(f"{message}; got {response.status_code} {response.content[:300]!r} {challenge!r}", secrets)
        raise AssertionError(detail)

    if response.status_code >= 500 and response.status_code != 503:
        fail("server error")
    if response.status_code != status:
        fail(f"expected {kind} ({status})")
    if kind == "200":
        return
    if kind == "503":
        if int(response.headers.get("Retry-After", "0")) < 1:
            fail("503 without Retry-After")
        return
    try:
        params: dict[str, str] | None = bearer_params(response)
    except AssertionError:
        params = None  # fail outside the handler: the original message may hold the header
    if params is None:
        fail("no single well-formed Bearer challenge")
        return
    if params.get("realm") != "api":
        fail("realm is not api")
    if params.get("resource_metadata") != resource_metadata:
        fail("resource_metadata missing or wrong")
    if error is None:
        if "error" in params or "error_description" in params:
            fail("an error code where none belongs")
        return
    if params.get("error") != error or not _ERROR_CHARS.fullmatch(params["error"]):
        fail(f"error is not {error}")
    description = params.get("error_description")
    if description is not None:
        if not _DESCRIPTION_CHARS.fullmatch(description):
            fail("error_description has characters outside RFC 6750")
        if len(description) > 100:
            fail("error_description should be short")
    if kind == "WS":
        if "scope" not in params or not _SCOPE.fullmatch(params["scope"]):
            fail("insufficient_scope without a valid scope parameter")
        if scopes is not None and set(params["scope"].split()) != set(scopes.split()):
            fail(f"scope is not {scopes}")
    elif "scope" in params:
        fail("scope on a non-scope error")


@dataclass
class Judge:
    """Sends attacks through APIClient on /me and checks everything the issue asks."""

    client: APIClient
    caplog: pytest.LogCaptureFixture
    make_token: Callable[..., str]
    path: str = "/me"
    sent: list[str] = field(default_factory=list)

    def send(
        self,
        authorization: str | None = None,
        *,
        method: str = "get",
        path: str | None = None,
        data: Any = None,
        content_type: str | None = None,
        query: str = "",
        **extra: Any,
    ) -> Any:
        if authorization is not None:
            extra["HTTP_AUTHORIZATION"] = authorization
        url = (path or self.path) + (f"?{query}" if query else "")
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = dict(extra)
        if data is not None:
            kwargs["data"] = data
        if content_type is not None:
            kwargs["content_type"] = content_type
        return call(url, **kwargs)

    def valid_still_works(self) -> None:
        response = self.send(f"Bearer {self.make_token()}")
        if response.status_code != 200:
            raise AssertionError(f"a valid token got {response.status_code} right after the attack")

    def expect(
        self,
        kind: str,
        authorization: str | None,
        *,
        secret: str | None = None,
        then_valid: bool = True,
        scopes: str | None = None,
        after: Callable[[Any], None] | None = None,
        description: str | None = None,
        **send: Any,
    ) -> Any:
        """Send one request and judge it; ``secret`` is the token to look for in leaks.

        ``after(response)`` runs before the follow-up valid request (to
        assert, say, that no key fetch happened).
        """
        response = self.send(authorization, **send)
        assert_outcome(response, kind, scopes=scopes, secrets=secrets_of(secret))
        assert_no_leak(response, secrets_of(secret), self.caplog)
        if description is not None:
            found = bearer_params(response).get("error_description", "")
            if description not in found:
                raise AssertionError(f"refused for another reason: {found!r}, expected {description!r}")
        if after is not None:
            after(response)
        if then_valid:
            self.valid_still_works()
        return response

    def token(self, kind: str, token: str, **kwargs: Any) -> Any:
        """The common case: ``Authorization: Bearer <token>``."""
        return self.expect(kind, f"Bearer {token}", secret=token, **kwargs)

    def refused(self, token: str, *, allowed: frozenset[int] = REFUSALS) -> Any:
        """For fuzzing: any refusal is fine, 200 and 5xx (but 503) are not."""
        response = self.send(f"Bearer {token}")
        if response.status_code not in allowed:
            raise AssertionError(f"status {response.status_code} for a token not signed by the real key")
        if response.status_code in (400, 401, 403):
            bearer_params(response)
        assert_no_leak(response, secrets_of(token), self.caplog)
        return response


@pytest.fixture
def judge(client: APIClient, caplog: pytest.LogCaptureFixture, make_token: Callable[..., str]) -> Judge:
    caplog.set_level(logging.DEBUG)
    for name in ("jwks_auth", "django", "django.request", "rest_framework"):
        caplog.set_level(logging.DEBUG, logger=name)
    return Judge(client, caplog, make_token)


@pytest.fixture
def claims_token(provider: Any, signing_key: SigningKey) -> Callable[..., str]:
    """A token signed by the real key with claims changed: ``MISSING`` removes one, ``None`` is JSON null."""

    def make(key: SigningKey | None = None, header: Any = None, typ: str | None = "at+jwt", **changes: Any) -> str:
        claims = access_claims(provider.issuer)
        for name, value in changes.items():
            if value is MISSING:
                claims.pop(name, None)
            else:
                claims[name] = value
        return mint(key or signing_key, claims, header=header, typ=typ)

    return make
