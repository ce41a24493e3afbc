"""Every way a request is refused, in one hierarchy; and the errors of fetching and configuration.

A ``Refusal`` is an outcome a client is told about. Each class states, once,
as class attributes, its HTTP ``status``, its ``error`` code (RFC 6750 3.1,
RFC 9449 7.1 and 8, RFC 9470 3; ``None`` where the answer carries none) and a
fixed ``description`` safe to show a client, and each carries a ``code``
(a ``Reason``) for the logs and metrics. None of them ever holds token content.

==========================================  ======  ==================================
class                                       status  ``error``
==========================================  ======  ==================================
``InvalidRequest``                          400     ``invalid_request``
``NoCredential``                            401     none (RFC 6750 3.1: no token sent)
``TokenError`` and its subclasses           401     ``invalid_token``
``ProofError``                              401     ``invalid_dpop_proof`` (DPoP's)
``NonceRequired``                           401     ``use_dpop_nonce`` (DPoP's)
``InsufficientUserAuthentication``          401     ``insufficient_user_authentication``
``InsufficientScope``                       403     ``insufficient_scope``, with ``scope``
``InsufficientAuthorizationDetails``        403     ``insufficient_scope`` (RFC 9396)
``CannotDecide`` and its subclasses         503     none; ``Retry-After``
==========================================  ======  ==================================

A refusal also carries what its answer needs from the request: ``scheme``
(the ``Authorization`` scheme whose challenge carries the error, ``Bearer``
or ``DPoP``), ``headers`` (``DPoP-Nonce``) and ``retry_after``. The token
checks raise them bare; the request layer puts the request's scheme and
headers on a copy (``for_request``). One adapter per framework turns any of
them into that framework's answer (``jwks_auth.authentication.drf_error``,
``jwks_auth.ninja.BearerRefused``, ``jwks_auth.web.responses.json_response``
for plain views and the middleware), the status, ``WWW-Authenticate``,
``Retry-After`` and body being the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from jwks_auth.reasons import Reason

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "MISCONFIGURED_RETRY_AFTER",
    "BindingError",
    "CannotDecide",
    "ConfigurationError",
    "DPoPRequestError",
    "ExpiredToken",
    "FetchError",
    "InsufficientAuthorizationDetails",
    "InsufficientScope",
    "InsufficientUserAuthentication",
    "InvalidClaims",
    "InvalidRequest",
    "InvalidSignature",
    "IntrospectionUnavailable",
    "JWKSAuthError",
    "KeysUnavailable",
    "MalformedToken",
    "Misconfigured",
    "NoCredential",
    "NonceRequired",
    "ProofError",
    "Refusal",
    "ReplayUnavailable",
    "RevocationUnavailable",
    "RevokedToken",
    "SenderError",
    "SignedResponseError",
    "TokenError",
    "UnknownKey",
]

#: Seconds a client is told to wait (``Retry-After``) when a token cannot be checked now: the one default.
DEFAULT_RETRY_AFTER = 5
#: ``Retry-After`` of a 503 for a configuration that cannot work: it will not fix itself soon.
MISCONFIGURED_RETRY_AFTER = 60


class JWKSAuthError(Exception):
    """Base class of every jwks_auth error."""


class Refusal(JWKSAuthError):
    """A request that is not let in: the base of every outcome a client is told about.

    ``status``, ``error`` and ``description`` are the answer's; ``code`` is
    the ``Reason`` logged, counted and sent with ``token_rejected`` (``None``
    for a refusal of the request rather than of a token). ``scopes`` and
    ``challenge_params`` are further auth-params of the challenge (``scope``;
    RFC 9470's ``acr_values`` and ``max_age``), from the server's
    configuration, never from a token.
    """

    status: int = 401
    error: str | None = "invalid_token"
    description: str = "invalid token"
    code: Reason | None = None
    #: Whether the answer has a ``WWW-Authenticate`` challenge (not for a 503: not the credential's fault).
    challenges: bool = True
    #: Whether the error goes on the challenge of the request's scheme (``for_request``), or always on Bearer's.
    follows_scheme: bool = True
    scheme: str = "Bearer"
    retry_after: int | None = None
    scopes: frozenset[str] = frozenset()
    challenge_params: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        description: str | None = None,
        code: Reason | str | None = None,
        *,
        scheme: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if description is not None:
            self.description = description
        if code is not None:
            self.code = Reason(code)
        if scheme is not None:
            self.scheme = scheme
        #: Response headers the answer carries besides ``WWW-Authenticate`` and ``Retry-After`` (``DPoP-Nonce``).
        self.headers: dict[str, str] = dict(headers) if headers else {}
        super().__init__(self.description)

    @property
    def reason(self) -> Reason | None:
        """``code``, by the name the ``token_rejected`` signal and the metrics give it."""
        return self.code

    @property
    def detail(self) -> str:
        """The answer's body text (``{"detail": ...}``), as DRF words its errors."""
        return self.description

    def for_request(self, scheme: str, headers: dict[str, str] | None = None) -> Self:
        """A copy carrying the request's ``scheme`` (where the class follows it) and response ``headers``.

        A copy, not the error itself: an error may be raised to several
        requests at once (one key lookup awaited by many coroutines).
        """
        refusal = type(self).__new__(type(self), *self.args)
        refusal.__dict__.update(self.__dict__)
        refusal.headers = {**self.headers, **headers} if headers else dict(self.headers)
        if self.follows_scheme:
            refusal.scheme = scheme
        return refusal


# -- 400 -----------------------------------------------------------------------------------------------------------
class InvalidRequest(Refusal):
    """400 ``invalid_request``: the request is malformed, whatever its token (two credentials, say).

    Its error is on the Bearer challenge whatever the request's scheme (RFC 6750's error).
    """

    status = 400
    error = "invalid_request"
    description = "malformed authorization request"
    follows_scheme = False


# -- 401 -----------------------------------------------------------------------------------------------------------
class NoCredential(Refusal):
    """401 without an error code: the request carries no token (RFC 6750 3.1), on an endpoint that needs one."""

    error = None
    description = "Authentication credentials were not provided."


class TokenError(Refusal):
    """401 ``invalid_token``: the token cannot be accepted. ``code`` says why."""

    code: Reason = Reason.INVALID
    description = "invalid token"


class MalformedToken(TokenError):
    code = Reason.MALFORMED
    description = "malformed token"


class InvalidSignature(TokenError):
    code = Reason.SIGNATURE
    description = "invalid signature"


class UnknownKey(TokenError):
    code = Reason.UNKNOWN_KID
    description = "signing key not found"


class ExpiredToken(TokenError):
    code = Reason.EXPIRED
    description = "token expired"


class InvalidClaims(TokenError):
    code = Reason.CLAIM_TYPE
    description = "invalid claims"


class RevokedToken(TokenError):
    code = Reason.REVOKED
    description = "token revoked"


class SenderError(TokenError):
    """The request does not prove possession of its token (DPoP, RFC 9449; certificate binding, RFC 8705)."""

    code = Reason.BINDING
    description = "token binding not satisfied"


class BindingError(SenderError):
    """The token's ``cnf`` is not met (a bound token as Bearer, the wrong certificate): 401 ``invalid_token``."""


class ProofError(SenderError):
    """RFC 9449 7.1: the DPoP proof is missing, invalid or not the token's; 401 ``invalid_dpop_proof``."""

    error = "invalid_dpop_proof"
    code = Reason.DPOP_PROOF
    description = "invalid DPoP proof"


class NonceRequired(ProofError):
    """RFC 9449 8: retry with the nonce of the ``DPoP-Nonce`` response header; 401 ``use_dpop_nonce``."""

    error = "use_dpop_nonce"
    code = Reason.DPOP_NONCE
    description = "a fresh DPoP nonce is required"


class DPoPRequestError(InvalidRequest, SenderError):
    """A malformed DPoP request (more than one proof): 400 ``invalid_request``, and a ``SenderError``."""

    code = Reason.DPOP_REQUEST
    description = "malformed DPoP request"


class InsufficientUserAuthentication(Refusal):
    """RFC 9470 3: the token's authentication is too weak or too old; 401 ``insufficient_user_authentication``.

    ``challenge_params`` are the endpoint's ``acr_values`` / ``max_age``
    (``jwks_auth.web.step_up.AuthenticationRequirement``), never the token's.
    """

    error = "insufficient_user_authentication"
    description = "A different authentication level is required"  # the RFC's own example text

    def __init__(self, params: Iterable[tuple[str, str]] = (), *, scheme: str | None = None) -> None:
        super().__init__(scheme=scheme)
        self.challenge_params = tuple(params)


# -- 403 -----------------------------------------------------------------------------------------------------------
class InsufficientScope(Refusal):
    """403 ``insufficient_scope``; ``scopes``, those that would do, are named in the challenge.

    On the Bearer challenge whatever the request's scheme (as DRF's permissions have always answered).
    """

    status = 403
    error = "insufficient_scope"
    description = "insufficient scope"

    def __init__(self, scopes: Iterable[str] = ()) -> None:
        super().__init__()
        self.scopes = frozenset(scopes)


class InsufficientAuthorizationDetails(Refusal):
    """RFC 9396: no ``authorization_details`` of the token covers the request; 403 ``insufficient_scope``.

    Not an ``InsufficientScope``: it names no scope (the details asked for may describe an account).
    """

    status = 403
    error = "insufficient_scope"
    description = "The access token's authorization details do not cover this request."

    def __init__(self, *, scheme: str | None = None) -> None:
        super().__init__(scheme=scheme)


# -- 503 -----------------------------------------------------------------------------------------------------------
class CannotDecide(Refusal):
    """503: the token cannot be checked now; something a check needs is down, not the token's fault.

    ``retry_after`` is the ``Retry-After`` of the answer. Subclasses say
    what: the signing keys, the DPoP replay store, introspection, the
    revocation hook, a configuration that cannot work. ``str()`` is the log
    line (``message``); the client sees only ``description``.
    """

    status = 503
    error = None
    description = "Token verification is temporarily unavailable."
    challenges = False
    code: Reason = Reason.UNAVAILABLE
    message = "the token cannot be checked now"

    def __init__(self, message: str | None = None, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__()
        self.args = (message or self.message,)
        self.retry_after: int = max(1, int(retry_after))


class KeysUnavailable(CannotDecide):
    """No usable key set could be had: a provider problem, not a bad token."""

    code = Reason.KEYS_UNAVAILABLE
    message = "signing keys unavailable"


class RevocationUnavailable(CannotDecide):
    """``IS_REVOKED`` failed: whether the token is revoked cannot be known."""

    code = Reason.REVOCATION_UNAVAILABLE
    message = "revocation check unavailable"


class ReplayUnavailable(CannotDecide):
    """A DPoP proof whose ``jti`` cannot be recorded is not accepted: its replay could not be told apart."""

    code = Reason.REPLAY_UNAVAILABLE
    message = "DPoP replay store unavailable"


class IntrospectionUnavailable(CannotDecide):
    """The introspection endpoint could not give an answer (RFC 7662): 503, not the token's fault."""

    code = Reason.INTROSPECTION_UNAVAILABLE
    message = "token introspection unavailable"


class SignedResponseError(CannotDecide):
    """The introspection answer is not a valid RFC 9701 response for this resource server: 503."""

    code = Reason.INTROSPECTION_RESPONSE
    message = "signed introspection response invalid"


class Misconfigured(CannotDecide):
    """``JWKS_AUTH`` cannot work (a ``ConfigurationError`` during a request): 503, never 500.

    ``manage.py check`` reports the cause (``jwks_auth.E0xx``), and the log.
    """

    code = Reason.MISCONFIGURED
    message = "JWKS_AUTH is misconfigured"

    def __init__(self, message: str | None = None, retry_after: int = MISCONFIGURED_RETRY_AFTER) -> None:
        super().__init__(message, retry_after)


# -- not about a request ---------------------------------------------------------------------------------------------
class FetchError(JWKSAuthError):
    """Fetching a discovery or JWKS document failed."""


class ConfigurationError(JWKSAuthError):
    """JWKS_AUTH is set up in a way that cannot work."""
