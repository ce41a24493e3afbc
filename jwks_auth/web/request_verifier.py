"""The front door: from a Django ``HttpRequest`` to an ``AccessToken``, without DRF.

Every framework adapter (DRF's ``JWKSAuthentication`` today; Ninja, plain
Django views and DPoP next) calls this one core, so that what a request may
send and what the client is told stay the same everywhere:

* the ``Authorization`` header is read by the first ``Scheme`` that knows its
  scheme name (``Bearer``, ``DPoP``; another scheme is another ``Scheme``
  subclass); only that header carries tokens, and a request that also sends
  ``access_token`` in the query or the form body, or a second credential, is
  malformed;
* after validation, whatever the scheme, the token's ``cnf`` is checked
  against the request on every request (``Scheme.bind``,
  ``jwks_auth.sender.constraint``): a DPoP-bound token needs a valid proof under
  ``DPoP`` and is refused as ``Bearer``, a certificate-bound one needs its
  client certificate; DPoP refusals are ``ProofError`` / ``NonceRequired`` on the
  DPoP challenge, and response headers the answer must carry (``DPoP-Nonce``)
  are in ``Credential.headers`` and ``Refusal.headers``;
* what goes wrong is raised as one of the refusals of ``jwks_auth.exceptions``,
  each stating its status, error code and fixed description: a ``TokenError``
  is a 401 ``invalid_token``, a ``CannotDecide`` a 503 with ``Retry-After``, a
  ``ConfigurationError`` becomes ``Misconfigured`` (a 503, never a 500), and a
  bad request is an ``InvalidRequest`` (400); a refusal leaves carrying the
  request's scheme and response headers (``Refusal.for_request``), for the
  adapter to turn into its framework's response (``jwks_auth.web.responses``);
* every token looked at is counted (``jwks_auth_tokens_total``), and every
  refused one is sent as ``token_rejected`` with its ``Reason``.

The scheme receives the whole ``HttpRequest`` (method, URL, headers) because
a sender-constrained scheme checks a proof bound to them.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest

from jwks_auth import signals
from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import FromSettings, import_setting
from jwks_auth.exceptions import (
    CannotDecide,
    ConfigurationError,
    InvalidRequest,
    Misconfigured,
    Refusal,
    TokenError,
)
from jwks_auth.reasons import Reason
from jwks_auth.sender.constraint import constrain, needs_binding
from jwks_auth.users import token_user
from jwks_auth.utils import blocking as offloop
from jwks_auth.utils.recorder import get_recorder
from jwks_auth.validation.validator import TokenValidator, get_validator

logger = logging.getLogger("jwks_auth.authentication")

_FORM_TYPE = "application/x-www-form-urlencoded"


# -- reading the credential ------------------------------------------------------------------
class Scheme:
    """One ``Authorization`` scheme: how its credential is read and validated."""

    name = "Bearer"
    #: Whether its requests carry a DPoP proof for the token's ``cnf.jkt`` (any other scheme is a bearer one).
    proof = False

    def __init__(self) -> None:
        # Two Authorization headers arrive joined by a comma; a credential of
        # this scheme after another's is still a second credential.
        self._joined = re.compile(rf",[ \t]*{re.escape(self.name)}(?:[ \t]|$)", re.IGNORECASE)

    def matches(self, scheme: str) -> bool:
        return scheme.lower() == self.name.lower()

    def joined(self, text: str) -> bool:
        """Whether ``text`` holds a second credential of this scheme, joined by a comma."""
        return self._joined.search(text) is not None

    def token(self, credentials: str, request: HttpRequest) -> str:
        """The token from what follows the scheme name; ``InvalidRequest`` when malformed."""
        token = credentials.strip(" ")
        if not token:
            raise InvalidRequest(f"empty {self.name.lower()} token")
        # A space separates extra parts; ",Bearer" is a second header joined
        # by the server. Anything else is the token's problem (invalid_token).
        # A token has no comma: the cheap test spares the regex scan of every token.
        if " " in token or ("," in token and self.joined(token)):
            raise InvalidRequest("more than one credential")
        return token

    def validate(self, token: str, request: HttpRequest, validator: TokenValidator) -> AccessToken:
        """The validated token (its binding to the request is ``bind``'s)."""
        return validator.validate(token)

    async def avalidate(self, token: str, request: HttpRequest, validator: TokenValidator) -> AccessToken:
        """``validate`` on an event loop: no blocking I/O on it (``TokenValidator.avalidate``)."""
        return await validator.avalidate(token)

    def bind(self, access_token: AccessToken, credential: Credential, request: HttpRequest) -> AccessToken:
        """The token with its ``binding`` to this request; ``SenderError`` if its ``cnf`` is not met.

        Run on every request, after ``validate``: a cached token's proof is
        checked too. Response headers for the answer go into ``credential.headers``.
        """
        if not needs_binding(access_token, dpop=self.proof):
            return access_token  # a plain bearer token: nothing of the request to read
        return constrain(
            access_token, credential.token, request, scheme=self.name, dpop=self.proof, headers=credential.headers
        )

    async def abind(self, access_token: AccessToken, credential: Credential, request: HttpRequest) -> AccessToken:
        """``bind`` on an event loop: a plain bearer token in memory, a proof or certificate off it (the replay
        store is the shared cache)."""
        if not needs_binding(access_token, dpop=self.proof):
            return access_token
        return await offloop.run(self.bind, access_token, credential, request)


class BearerScheme(Scheme):
    """RFC 6750 ``Authorization: Bearer <token>``."""

    name = "Bearer"


class DPoPScheme(Scheme):
    """RFC 9449 ``Authorization: DPoP <token>`` with exactly one ``DPoP`` proof header."""

    name = "DPoP"
    proof = True

    def token(self, credentials: str, request: HttpRequest) -> str:
        token = super().token(credentials, request)
        # RFC 9449 4.3 (1): one DPoP header. Repeated lines arrive joined by commas
        # (WSGI), and a proof, a compact JWS, has none.
        proofs = request.META.get("HTTP_DPOP")
        if proofs is not None and "," in proofs:
            raise InvalidRequest("more than one DPoP proof")
        return token


#: The schemes of a ``RequestVerifier`` unless told otherwise.
DEFAULT_SCHEMES: tuple[Scheme, ...] = (BearerScheme(), DPoPScheme())


@dataclass(slots=True)
class Credential:
    """A credential read from a request; ``headers``: response headers its answer must carry."""

    scheme: Scheme
    token: str = field(repr=False)  # never in a repr: it is kept on the request (Admitted)
    headers: dict[str, str] = field(default_factory=dict, compare=False)


def scheme_index(schemes: Sequence[Scheme]) -> dict[str, Scheme]:
    """The schemes by lower-case name, the first of a name winning (what ``read_credential`` looks up)."""
    index: dict[str, Scheme] = {}
    for scheme in schemes:
        index.setdefault(scheme.name.lower(), scheme)
    return index


def read_credential(
    request: HttpRequest, schemes: Sequence[Scheme], index: Mapping[str, Scheme] | None = None
) -> Credential | None:
    """The request's credential, ``None`` without one; ``InvalidRequest`` when malformed.

    ``index`` is ``scheme_index(schemes)``, built once by a caller that reads many requests.
    """
    header: str | None = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    if not header.strip():
        # Sent but empty: never a credential, and what granian passes on for a value with a
        # non-ASCII byte. A token that was presented is refused, not read as no token at all.
        raise TokenError("unreadable authorization header")
    name, _, credentials = header.partition(" ")
    scheme = (index if index is not None else scheme_index(schemes)).get(name.lower())
    if scheme is None:
        # A scheme whose ``matches`` knows more names than its own.
        scheme = next((item for item in schemes if item.matches(name)), None)
    if scheme is None:
        if any(item.joined(header) for item in schemes):
            raise InvalidRequest("more than one credential")
        return None
    token = scheme.token(credentials, request)
    # "Bearer x,DPoP": a credential of another scheme joined after this one.
    if "," in token and any(other.joined(token) for other in schemes if other is not scheme):
        raise InvalidRequest("more than one credential")
    meta = request.META
    if (meta.get("QUERY_STRING") or meta.get("CONTENT_TYPE")) and token_elsewhere(request):
        raise InvalidRequest("token sent by more than one method")
    return Credential(scheme, token)


def token_elsewhere(request: HttpRequest) -> bool:
    """Whether the query or a form body carries ``access_token`` too (RFC 6750 2.2, 2.3)."""
    # Parsing GET costs more than the rest of a cached token's check.
    if request.META.get("QUERY_STRING"):
        try:
            if "access_token" in request.GET:
                return True
        except TooManyFieldsSent:
            raise InvalidRequest("query string cannot be read") from None
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type and content_type.split(";")[0].strip().lower() == _FORM_TYPE:
        try:
            return "access_token" in request.POST
        except (RequestDataTooBig, TooManyFieldsSent):
            # Whether it holds a second token cannot be told: malformed.
            raise InvalidRequest("form body cannot be read") from None
    return False


# -- the user --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UserResolver:
    """A user hook in both forms, decided once: ``sync`` for the sync doors, ``asynchronous`` for the async ones.

    A resolver written ``async def`` (or an object with an ``async def __call__``) is awaited on the async
    doors and run with ``async_to_sync`` on the sync ones; a sync one is called as it is on the sync doors and
    with ``sync_to_async`` (Django's sync thread: it may read the database) on the async ones. ``stateless``:
    the default ``token_user``, which does no I/O and runs on the event loop itself.
    """

    sync: Callable[[AccessToken], Any]
    asynchronous: Callable[[AccessToken], Awaitable[Any]]
    stateless: bool = False

    @classmethod
    def of(cls, resolver: Callable[[AccessToken], Any]) -> UserResolver:
        if _is_async(resolver):
            return cls(async_to_sync(resolver), resolver)
        return cls(resolver, sync_to_async(resolver), stateless=resolver is token_user)


def _is_async(resolver: Callable[..., Any]) -> bool:
    """Whether calling ``resolver`` gives a coroutine: an ``async def``, or an instance whose ``__call__`` is one."""
    if inspect.iscoroutinefunction(resolver):
        return True
    if inspect.isroutine(resolver) or isinstance(resolver, type):
        return False
    return inspect.iscoroutinefunction(type(resolver).__call__)  # callable: checked by the caller


def _import_resolver() -> UserResolver:
    resolver = import_setting("USER_RESOLVER")
    if resolver is None:
        raise ConfigurationError("JWKS_AUTH['USER_RESOLVER'] must be a dotted path or a callable.")
    if isinstance(resolver, type):
        # A resolver class (a DjangoUserResolver subclass with its options as class attributes): one instance.
        try:
            resolver = resolver()
        except Exception as exc:
            raise ConfigurationError(f"JWKS_AUTH['USER_RESOLVER'] cannot be built: {type(exc).__name__}") from exc
    if not callable(resolver):
        raise ConfigurationError("JWKS_AUTH['USER_RESOLVER'] must be a callable (or a class of them).")
    return UserResolver.of(resolver)


_resolver = FromSettings(_import_resolver)


def get_user_resolvers() -> UserResolver:
    """``USER_RESOLVER`` in its sync and async forms, imported once per settings; ``ConfigurationError`` if it
    cannot be."""
    return _resolver.get()


def get_user_resolver() -> Callable[[AccessToken], Any]:
    """``USER_RESOLVER`` as a sync callable (an ``async def`` one wrapped), imported once per settings;
    ``ConfigurationError`` if it cannot be."""
    return _resolver.get().sync


def log_accepted(access_token: AccessToken) -> None:
    """The debug line of an accepted request: the issuer and the RFC 8693 actor chain, never the token.

    Called only when the ``jwks_auth.authentication`` logger is on at DEBUG. The chain, current actor first,
    is also in the record's ``actors`` field (``[{"sub": ..., "iss": ...}, ...]``) for JSON formatters.
    """
    try:
        chain = access_token.actor
    except TokenError:  # a token built outside validation: its act was never checked
        chain = ()
    actors = [{"sub": actor.sub, "iss": actor.iss} for actor in chain]
    logger.debug(
        "Token accepted: issuer %s, actor %s",
        access_token.issuer,
        " < ".join(str(actor) for actor in chain) if chain else "none",
        extra={"issuer": access_token.issuer, "actors": actors},
    )


def send_rejected(sender: Any, reason: Reason, issuer: str | None) -> None:
    """The ``token_rejected`` signal, and a debug line (the reason only, never the token)."""
    signals.token_rejected.send(sender=sender, reason=reason, issuer=issuer)
    logger.debug("Token rejected: %s", reason)


def count_rejected(
    error: TokenError, issuer: str | None, seconds: float, rejected: Callable[[Reason, str | None], None]
) -> None:
    """Count a refused token and tell ``rejected`` (``token_rejected``): what every refusal of a token goes
    through, whether validation refused it or a check after it (a malformed ``acr`` or
    ``authorization_details`` met by a scope, step-up or RAR check)."""
    reason = error.code  # as it is: a project's TokenError subclass may state a code that is no Reason
    rejected(reason, issuer)
    get_recorder().token(issuer, "rejected", reason, seconds)


def reject_token(error: TokenError, issuer: str | None, sender: Any) -> None:
    """``count_rejected`` for a token refused after a door accepted it, signalled from ``sender``."""
    count_rejected(error, issuer, 0.0, lambda reason, issued_by: send_rejected(sender, reason, issued_by))


# -- the door -----------------------------------------------------------------------------------
class RequestVerifier:
    """Reads, validates and counts a request's token; raises ``Refusal``.

    ``validator`` and ``get_user`` are called per request (so a test or a
    settings change that resets them is seen), ``rejected`` is told each
    refusal (the default sends ``token_rejected`` from ``sender``). A door
    holds no settings: build it once and use it for every request.
    """

    def __init__(
        self,
        *,
        validator: Callable[[], TokenValidator] = get_validator,
        get_user: Callable[[AccessToken], Any] | None = None,
        schemes: Sequence[Scheme] = DEFAULT_SCHEMES,
        rejected: Callable[[Reason, str | None], None] | None = None,
        sender: Any = None,
    ) -> None:
        self.validator = validator
        # Without a get_user of its own the door calls USER_RESOLVER itself, read per request.
        self._user = None if get_user is None else UserResolver.of(get_user)
        self.schemes = tuple(schemes)
        self._index = scheme_index(self.schemes)
        self.sender = sender if sender is not None else RequestVerifier
        self.rejected = rejected or (lambda reason, issuer: send_rejected(self.sender, reason, issuer))

    def credential(self, request: HttpRequest) -> Credential | None:
        return read_credential(request, self.schemes, self._index)

    def authenticate(self, request: HttpRequest) -> tuple[Any, AccessToken] | None:
        """``(user, token)``, ``None`` without a credential; ``Refusal`` otherwise."""
        credential = self.credential(request)
        if credential is None:
            return None
        return self.verify(credential, request)

    def verify(self, credential: Credential, request: HttpRequest) -> tuple[Any, AccessToken]:
        """``(user, token)`` for a credential that was read; ``Refusal`` otherwise."""
        # try/except, not a context manager: its object and two calls cost a cached token a tenth of its check.
        # What verify, averify and resolve_user share is ``refusal``.
        started = perf_counter()
        scheme = credential.scheme
        issuer: str | None = None
        try:
            access_token = scheme.validate(credential.token, request, self.validator())
            issuer = access_token.issuer
            # Every request, the cached token's too: the proof or certificate of this one.
            access_token = scheme.bind(access_token, credential, request)
            user = self.user_resolver()(access_token)
        except (TokenError, CannotDecide, ConfigurationError) as exc:
            raise self.refusal(exc, issuer, started, credential) from None
        self._accepted(access_token, started)
        return user, access_token

    async def averify(self, credential: Credential, request: HttpRequest) -> tuple[Any, AccessToken]:
        """``verify`` on an event loop: the same steps, each in memory while it can and off the loop when not."""
        started = perf_counter()
        scheme = credential.scheme
        issuer: str | None = None
        try:
            access_token = await scheme.avalidate(credential.token, request, self.validator())
            issuer = access_token.issuer
            access_token = await scheme.abind(access_token, credential, request)
            user = await self._aget_user(access_token)
        except (TokenError, CannotDecide, ConfigurationError) as exc:
            raise self.refusal(exc, issuer, started, credential) from None
        self._accepted(access_token, started)
        return user, access_token

    @staticmethod
    def _accepted(access_token: AccessToken, started: float) -> None:
        """Count (and, at DEBUG, log) an accepted request: what ``verify`` and ``averify`` do when they succeed."""
        get_recorder().token(access_token.issuer, "accepted", "", perf_counter() - started)
        if logger.isEnabledFor(logging.DEBUG):
            log_accepted(access_token)

    def resolve_user(self, access_token: AccessToken, credential: Credential) -> Any:
        """The user of a token verified before (by ``TokenMiddleware``); ``Refusal`` if the user hook refuses it."""
        started = perf_counter()
        try:
            return self.user_resolver()(access_token)
        except (TokenError, CannotDecide, ConfigurationError) as exc:
            raise self.refusal(exc, access_token.issuer, started, credential) from None

    async def aauthenticate(self, request: HttpRequest) -> tuple[Any, AccessToken] | None:
        """``authenticate`` on an event loop: in memory while it can, blocking work off the loop."""
        credential = self.credential(request)
        if credential is None:
            return None
        return await self.averify(credential, request)

    def user_resolver(self) -> Callable[[AccessToken], Any]:
        """The door's ``get_user``, else ``USER_RESOLVER`` (read per request), as a sync callable."""
        return (self._user or _resolver.get()).sync  # get_user_resolvers(), a call less per request

    async def _aget_user(self, access_token: AccessToken) -> Any:
        """The user; a sync resolver that may read the database runs in Django's sync thread."""
        resolvers = self._user or get_user_resolvers()
        if resolvers.stateless:
            return resolvers.sync(access_token)  # token_user: no I/O
        return await resolvers.asynchronous(access_token)

    def refusal(self, exc: Exception, issuer: str | None, started: float, credential: Credential) -> Refusal:
        """The refusal of an error of validation, binding or the user, for this request; counted and signalled.

        The error itself (a ``TokenError`` or ``CannotDecide``), copied with the request's scheme and response
        headers; a ``ConfigurationError`` is ``Misconfigured``.
        """
        seconds = perf_counter() - started
        if isinstance(exc, TokenError):
            count_rejected(exc, issuer, seconds, self.rejected)
            return exc.for_request(credential.scheme.name, credential.headers)
        if isinstance(exc, CannotDecide):  # the keys, introspection, IS_REVOKED or the DPoP replay store
            logger.warning("Token verification unavailable: %s", exc)
            get_recorder().token(issuer, "unavailable", exc.code, seconds)
            return exc.for_request(credential.scheme.name, credential.headers)
        # A ConfigurationError (USER_RESOLVER cannot be imported, say): 503, never 500; reported by
        # manage.py check (jwks_auth.E0xx), and here in the log.
        get_recorder().token(issuer, "unavailable", Reason.MISCONFIGURED, seconds)
        logger.error("JWKS_AUTH is misconfigured: %s", exc)
        return Misconfigured(str(exc))
