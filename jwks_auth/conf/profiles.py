"""Per-provider defaults, applied under an issuer's own settings.

Each profile states how one identity provider shapes its access tokens, so a
deployment names the provider instead of re-deriving its quirks. The default
profile, ``rfc9068``, is the JWT access token profile to the letter.
"""

from __future__ import annotations

from typing import Any

RFC9068_TYPES = ["at+jwt"]
RFC9068_CLAIMS = ["iss", "exp", "aud", "sub", "iat", "client_id", "jti"]

PROFILES: dict[str, dict[str, Any]] = {
    # RFC 9068 JWT access tokens; also this project's dev identity server.
    "rfc9068": {
        "TOKEN_TYPES": RFC9068_TYPES,
        "REQUIRED_CLAIMS": RFC9068_CLAIMS,
        "SCOPE_CLAIMS": ["scope"],
    },
    # IdentityServer4 2.x: typ JWT, aud [<issuer>/resources, api], no iat/jti,
    # no sub in client-credentials tokens, scope as a JSON array.
    "identityserver4-2": {
        "TOKEN_TYPES": ["JWT"],
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "nbf", "client_id"],
        "SCOPE_CLAIMS": ["scope"],
    },
    # IdentityServer4 3.x/4.x and Duende: typ at+jwt; aud only for API
    # resources (or EmitStaticAudienceClaim); sub only in user tokens.
    "identityserver4": {
        "TOKEN_TYPES": RFC9068_TYPES,
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "nbf", "client_id"],
        "SCOPE_CLAIMS": ["scope"],
    },
    "duende": {
        "TOKEN_TYPES": RFC9068_TYPES,
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "nbf", "client_id", "iat", "jti"],
        "SCOPE_CLAIMS": ["scope"],
    },
    # Keycloak: typ JWT, the `typ` claim tells access ("Bearer") from ID tokens.
    "keycloak": {
        "TOKEN_TYPES": ["JWT", "at+jwt"],
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "iat", "azp"],
        "CLAIM_VALUES": {"typ": "Bearer"},
        "SCOPE_CLAIMS": ["scope"],
    },
    # Entra ID v1 and v2 access tokens: typ JWT, scp (delegated), roles (app).
    # An ID token of the same app registration has the same aud (the client
    # id), typ JWT, sub and iat, and may carry roles: only access tokens name
    # the calling client, in azp (v2) or appid (v1).
    "entra": {
        "TOKEN_TYPES": ["JWT"],
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "iat", "sub"],
        "REQUIRED_ONE_OF": ["azp", "appid"],
        "SCOPE_CLAIMS": ["scp", "roles"],
    },
    # Auth0: typ JWT (at+jwt with the RFC 9068 profile), RBAC in `permissions`.
    "auth0": {
        "TOKEN_TYPES": ["JWT", "at+jwt"],
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "iat", "sub"],
        "SCOPE_CLAIMS": ["scope", "permissions"],
    },
    # Okta: no typ header, scp as a JSON array, cid for the client.
    "okta": {
        "TOKEN_TYPES": [None, "JWT", "at+jwt"],
        "REQUIRED_CLAIMS": ["iss", "exp", "aud", "iat", "sub", "cid"],
        "SCOPE_CLAIMS": ["scp"],
    },
    # Amazon Cognito: no typ header, no aud; the client is `client_id` and
    # `token_use` tells access from ID tokens.
    "cognito": {
        "TOKEN_TYPES": [None],
        "REQUIRED_CLAIMS": ["iss", "exp", "iat", "sub", "client_id", "token_use"],
        "AUDIENCE_CLAIM": "client_id",
        "CLAIM_VALUES": {"token_use": "access"},
        "SCOPE_CLAIMS": ["scope"],
    },
}
PROFILES["dev"] = PROFILES["rfc9068"]
