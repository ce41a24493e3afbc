"""The DRF authentication class: ``Authorization: Bearer <access token>`` or ``DPoP <access token>``."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from jwks_auth import signals
from jwks_auth.challenges import (
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    KeysUnavailableError,
    UseDPoPNonce,
    bearer_challenge,
)
from jwks_auth.conf import IssuerConfig, import_setting, on_reset
from jwks_auth.dpop import DPoPRequestError, NonceRequired, ProofError, check_binding
from jwks_auth.dpop.django import request_facts
from jwks_auth.dpop.runtime import get_sender_constraints
from jwks_auth.exceptions import ConfigurationError, KeysUnavailable, TokenError
from jwks_auth.ops.metrics import get_recorder
from jwks_auth.tokens import AccessToken, get_validator

logger = logging.getLogger("jwks_auth.authentication")

_FORM_TYPE = "application/x-www-form-urlencoded"
_JOINED_BEARER = re.compile(r",[ \t]*(?:bearer|dpop)(?:[ \t]|$)", re.IGNORECASE)
_resolver: Callable[[AccessToken], Any] | None = None


@on_reset
def _reset_resolver() -> None:
    global _resolver
    _resolver = None


def get_user_resolver() -> Callable[[AccessToken], Any]:
    global _resolver
    if _resolver is None:
        resolver = import_setting("USER_RESOLVER")
        if resolver is None:
            raise ConfigurationError("JWKS_AUTH['USER_RESOLVER'] must be a dotted path or a callable.")
        _resolver = resolver
    return _resolver


class JWKSAuthentication(BaseAuthentication):
    """Authenticate with an access token verified by the issuer's JWKS.

    ``request.user`` is what ``USER_RESOLVER`` makes of the token (a stateless
    ``TokenUser`` by default) and ``request.auth`` is the ``AccessToken``.
    Only the Authorization header carries tokens: the URI query and form
    body methods of RFC 6750 are not accepted, and a request that also uses
    them is malformed.
    """

    keyword = "bearer"
    #: Authorization schemes understood; ``dpop`` needs a proof (``jwks_auth.dpop``).
    schemes = ("bearer", "dpop")

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        credentials = self.get_credentials(request)
        if credentials is None:
            return None
        scheme, token = credentials
        recorder = get_recorder()
        started = perf_counter()
        try:
            access_token = get_validator().validate(token)
        except TokenError as exc:
            self.rejected(exc.code, None)
            recorder.token(None, "rejected", exc.code, perf_counter() - started)
            raise InvalidToken(exc.description, scheme=scheme) from None
        except KeysUnavailable as exc:
            logger.warning("Token verification unavailable: %s", exc)
            recorder.token(None, "unavailable", "keys_unavailable", perf_counter() - started)
            raise KeysUnavailableError(exc.retry_after) from None
        except ConfigurationError as exc:
            recorder.token(None, "unavailable", "misconfigured", perf_counter() - started)
            raise self.misconfigured(exc) from None
        try:
            self.check_sender(request, scheme, token, access_token)
        except (TokenError, ConfigurationError, KeysUnavailable) as exc:
            self._sender_refused(exc, scheme, access_token.issuer, recorder, perf_counter() - started)
        try:
            user = self.get_user(access_token)
        except TokenError as exc:
            self.rejected(exc.code, access_token.issuer)
            recorder.token(access_token.issuer, "rejected", exc.code, perf_counter() - started)
            raise InvalidToken(exc.description) from None
        except ConfigurationError as exc:  # USER_RESOLVER cannot be imported
            recorder.token(access_token.issuer, "unavailable", "misconfigured", perf_counter() - started)
            raise self.misconfigured(exc) from None
        recorder.token(access_token.issuer, "accepted", "", perf_counter() - started)
        return user, access_token

    def check_sender(self, request: Request, scheme: str, token: str, access_token: AccessToken) -> None:
        """The token's ``cnf`` binding, and the scheme its issuer's ``DPOP`` policy allows; checked every time."""
        constraints = get_sender_constraints()
        config = self._issuer_config(access_token.issuer)
        policy, nonce_required = (config.dpop, config.dpop_nonce) if config is not None else ("allowed", False)
        facts = request_facts(request._request, (constraints.settings.cert_header or "",))
        try:
            check_binding(access_token.claims, scheme=scheme, token=token, proofs=facts.header("dpop"), facts=facts,
                          policy=policy, nonce_required=nonce_required, verifier=constraints.verifier,
                          settings=constraints.settings)
        finally:
            if nonce_required:
                # RFC 9449 8.2: a fresh nonce on every answer, for the client's next proof.
                self._response_header(request, "DPoP-Nonce", constraints.nonces.current())

    @staticmethod
    def _issuer_config(issuer: str) -> IssuerConfig | None:
        found = get_validator().registry.get(issuer)
        return found[0] if found is not None else None

    @staticmethod
    def _response_header(request: Request, name: str, value: str) -> None:
        # DRF's exception handler copies only WWW-Authenticate and Retry-After; the view's
        # headers are added to every response it finalises, errors included.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        headers = getattr(view, "headers", None)
        if isinstance(headers, dict):
            headers[name] = value

    def _sender_refused(self, exc: Exception, scheme: str, issuer: str, recorder: Any, elapsed: float) -> None:
        if isinstance(exc, KeysUnavailable):
            logger.warning("DPoP check unavailable: %s", exc)
            recorder.token(issuer, "unavailable", "keys_unavailable", elapsed)
            raise KeysUnavailableError(exc.retry_after) from None
        if isinstance(exc, ConfigurationError):
            recorder.token(issuer, "unavailable", "misconfigured", elapsed)
            raise self.misconfigured(exc) from None
        assert isinstance(exc, TokenError)
        self.rejected(exc.code, issuer)
        recorder.token(issuer, "rejected", exc.code, elapsed)
        if isinstance(exc, NonceRequired):
            raise UseDPoPNonce(exc.description) from None
        if isinstance(exc, ProofError):
            raise InvalidDPoPProof(exc.description) from None
        if isinstance(exc, DPoPRequestError):
            raise InvalidRequest(exc.description) from None
        raise InvalidToken(exc.description, scheme=scheme) from None

    @staticmethod
    def misconfigured(exc: ConfigurationError) -> KeysUnavailableError:
        """503, never 500: reported by ``manage.py check`` (jwks_auth.E0xx), and here in the log."""
        logger.error("JWKS_AUTH is misconfigured: %s", exc)
        return KeysUnavailableError(60)

    def get_token(self, request: Request) -> str | None:
        """The access token, ``None`` without one, ``InvalidRequest`` when malformed."""
        credentials = self.get_credentials(request)
        return None if credentials is None else credentials[1]

    def get_credentials(self, request: Request) -> tuple[str, str] | None:
        """``(scheme, token)`` with scheme ``bearer`` or ``dpop``; ``None`` without a token."""
        header: str | None = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme not in self.schemes:
            # Two Authorization headers arrive joined by a comma; a Bearer
            # credential after another scheme's is still a second credential.
            if _JOINED_BEARER.search(header):
                raise InvalidRequest("more than one credential")
            return None
        token = credentials.strip(" ")
        if not token:
            raise InvalidRequest("empty bearer token" if scheme == "bearer" else "empty access token")
        # A space separates extra parts; ",Bearer" is a second header joined
        # by the server. Anything else is the token's problem (invalid_token).
        # A token has no comma: the cheap test spares the regex scan of every token.
        if " " in token or ("," in token and _JOINED_BEARER.search(token)):
            raise InvalidRequest("more than one credential")
        if self._token_elsewhere(request):
            raise InvalidRequest("token sent by more than one method")
        if scheme == "dpop":
            # RFC 9449 4.3 (1): one DPoP header; WSGI joins repeated ones with commas.
            proofs = request.META.get("HTTP_DPOP")
            if proofs is not None and "," in proofs:
                raise InvalidRequest("more than one DPoP proof")
        return scheme, token

    @staticmethod
    def _token_elsewhere(request: Request) -> bool:
        django_request = request._request
        # Parsing GET costs more than the rest of a cached token's check.
        if django_request.META.get("QUERY_STRING") and "access_token" in django_request.GET:
            return True
        content_type = django_request.META.get("CONTENT_TYPE", "")
        if content_type and content_type.split(";")[0].strip().lower() == _FORM_TYPE:
            try:
                return "access_token" in django_request.POST
            except (RequestDataTooBig, TooManyFieldsSent):
                # Whether it holds a second token cannot be told: malformed.
                raise InvalidRequest("form body cannot be read") from None
        return False

    def get_user(self, token: AccessToken) -> Any:
        """Map the token to ``request.user``; may raise ``TokenError``."""
        return get_user_resolver()(token)

    @staticmethod
    def rejected(reason: str, issuer: str | None) -> None:
        signals.token_rejected.send(sender=JWKSAuthentication, reason=reason, issuer=issuer)
        logger.debug("Bearer token rejected: %s", reason)

    def authenticate_header(self, request: Request) -> str:
        return bearer_challenge()
