"""Who ``request.user`` is for a validated token.

The default, ``token_user``, builds a stateless ``TokenUser`` from the claims:
no database read or write per request. ``USER_RESOLVER`` names another
callable ``(AccessToken) -> user`` for deployments that want Django users.
"""
from __future__ import annotations

from typing import Any, Mapping

from jwks_auth.tokens import AccessToken


class TokenUser:
    """A user known only from its access token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: AccessToken, id_claim: str = "sub") -> None:
        self.token = token
        # Client-credentials tokens may have no sub: fall back to the client.
        subject = token.get(id_claim) or token.get("client_id") or token.get("azp") or ""
        self.id = self.pk = self.username = str(subject)

    @property
    def claims(self) -> Mapping[str, Any]:
        return self.token.claims

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scopes

    def has_scopes(self, *scopes: str) -> bool:
        return self.token.has_scopes(scopes)

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<TokenUser {self.username!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenUser) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def token_user(token: AccessToken) -> TokenUser:
    """The default ``USER_RESOLVER``."""
    return TokenUser(token)
