"""``AccessToken``: a validated token, with the configuration of its issuer.

A leaf module (it imports only ``conf`` and the claim parsers of RFC 9396 and RFC 8693), so that every
part that hands out or reads tokens (JWT validation, introspection, users, permissions) can use
it without importing the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from jwks_auth.conf.settings import IssuerConfig
from jwks_auth.validation.authorization_details import AuthorizationDetail, read_authorization_details
from jwks_auth.validation.delegation import Actor, read_actor_chain, read_may_act

__all__ = ["AccessToken", "Binding"]


@dataclass(frozen=True)
class Binding:
    """How a request proved possession of its token (``AccessToken.binding``).

    ``scheme`` is the Authorization scheme it used (``"Bearer"`` or
    ``"DPoP"``); ``jkt`` the RFC 7638 thumbprint of the DPoP proof's key,
    equal to the token's ``cnf.jkt`` (RFC 9449); ``x5t_s256`` the SHA-256
    thumbprint of the client certificate, equal to ``cnf["x5t#S256"]``
    (RFC 8705). Both were checked on this request, never taken from a cache.
    """

    scheme: str
    jkt: str | None = None
    x5t_s256: str | None = None


@dataclass(frozen=True)
class AccessToken:
    """A validated access token: ``request.auth`` in DRF views.

    ``config`` is the ``IssuerConfig`` it was validated with, so code that
    needs the issuer's settings (the user id claim, the prefix) reads them
    here rather than asking the process-wide validator on every request.
    ``binding`` says how the request proved possession of a sender-constrained
    token (``Binding``); it is ``None`` for a plain bearer token, and for a
    token validated outside a front door.
    """

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    issuer: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    config: IssuerConfig | None = field(default=None, compare=False, repr=False)
    binding: Binding | None = field(default=None, compare=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.claims[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.claims.get(name, default)

    @property
    def scheme(self) -> str:
        """The Authorization scheme the token came with: ``"DPoP"`` or ``"Bearer"``."""
        return "Bearer" if self.binding is None else self.binding.scheme

    @property
    def authorization_details(self) -> tuple[AuthorizationDetail, ...]:
        """RFC 9396 ``authorization_details`` (``()`` without the claim), read when asked for.

        Raises ``InvalidClaims`` when the claim is malformed; an endpoint that
        requires details (``HasAuthorizationDetails``) has refused such a token
        with 401 ``invalid_token`` before the view runs.
        """
        return read_authorization_details(self.claims)

    @property
    def actor(self) -> tuple[Actor, ...]:
        """RFC 8693 ``act``: who acts for the subject, outermost (current) actor first; ``()`` without ``act``.

        ``token.actor[0]`` is the party making this request for ``token["sub"]``; the rest acted before it
        (informational, RFC 8693 4.1). Checked when the token was validated: a malformed ``act`` was a 401.
        """
        return read_actor_chain(self.claims)

    @property
    def may_act(self) -> dict[str, Any] | None:
        """RFC 8693 ``may_act``: who may act for the subject (``sub``, ``iss``...), ``None`` without the claim."""
        return read_may_act(self.claims)

    def has_scopes(self, *scopes: str | Iterable[str]) -> bool:
        """Whether the token holds every one of ``scopes``: ``token.has_scopes("orders.read", "orders.write")``.

        One list of scopes (``has_scopes(["a", "b"])``, the form before 1.0) is read as those scopes.
        """
        if len(scopes) == 1 and not isinstance(scopes[0], str):
            scopes = tuple(scopes[0])
        return set(scopes) <= self.scopes

    def __repr__(self) -> str:
        return f"<AccessToken iss={self.issuer!r} sub={self.claims.get('sub')!r}>"


def verified_token(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    issuer: str,
    scopes: frozenset[str],
    config: IssuerConfig | None,
    binding: Binding | None = None,
) -> AccessToken:
    """``AccessToken(header, claims, issuer, scopes, config, binding)``, built as the validators build one per
    first-seen token (and the DPoP check one per request, ``with_binding``).

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, a call per field; an
    ``AccessToken`` has no ``__post_init__`` and keeps nothing but its fields in its ``__dict__``, so filling
    that dict gives the same token at a fraction of the cost. A subclass is built by its own ``__init__``.
    """
    token = object.__new__(AccessToken)
    token.__dict__.update(header=header, claims=claims, issuer=issuer, scopes=scopes, config=config, binding=binding)
    return token


def with_binding(token: AccessToken, binding: Binding) -> AccessToken:
    """``token`` with ``binding``: ``dataclasses.replace(token, binding=binding)``, on every DPoP request.

    Copied by its ``__dict__`` (``verified_token`` says why that is the same token), so a field added to
    ``AccessToken`` later is never dropped; a subclass goes through ``replace`` and keeps its type.
    """
    if type(token) is not AccessToken:
        return replace(token, binding=binding)
    bound = object.__new__(AccessToken)
    values = bound.__dict__
    values.update(token.__dict__)
    values["binding"] = binding
    return bound
