"""DOT extension points: per-client scopes and the OIDC claims of the test users."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings

from idp.users import CLAIM_SCOPES, user_claims


class ClientScopes(BaseScopes):
    """Scopes each client may ask for, like IdentityServer's ``AllowedScopes``.

    ``settings.IDP_CLIENT_SCOPES`` maps client_id to its allowed scopes; other
    clients (added by hand) get every scope. A request without ``scope`` gets
    all of the client's allowed scopes.
    """

    def get_all_scopes(self) -> dict[str, str]:
        return oauth2_settings.SCOPES

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        every = list(oauth2_settings.SCOPES)
        if application is None:
            return every
        allowed = settings.IDP_CLIENT_SCOPES.get(application.client_id, every)
        return [scope for scope in every if scope in allowed]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        return self.get_available_scopes(application, request)


class Validator(OAuth2Validator):
    """Releases the quickstart profile claims; supports prompt=none (silent renew)."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, **CLAIM_SCOPES}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        # DOT then keeps only the claims whose scope (oidc_claim_scope) was granted.
        return user_claims(request.user)

    def get_discovery_claims(self, request: Any) -> list[str]:
        # The request-aware get_additional_claims() hides the names from DOT, so list them here.
        return ["sub", *CLAIM_SCOPES]

    # oauthlib asks these for prompt=none, and DOT leaves them unimplemented (a 500).
    # DOT's authorization view has already handled the session: a signed-in user
    # reaches the normal flow, anyone else gets error=login_required.
    def validate_silent_login(self, request: Any) -> bool:
        return True

    def validate_silent_authorization(self, request: Any) -> bool:
        # Without a consent page to skip, prompt=none must answer consent_required.
        return bool(getattr(request, "client", None) and request.client.skip_authorization)
