"""Small HTTP helpers shared by the end-to-end tests."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

TIMEOUT = 10


def client_credentials_token(
    idp_url: str, client_id: str = "client", secret: str = "secret", scope: str = "api1"
) -> requests.Response:
    return requests.post(
        f"{idp_url}/connect/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id, secret),
        timeout=TIMEOUT,
    )


def exchange_code(
    idp_url: str, code: str, redirect_uri: str, verifier: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """The SPA's authorization-code exchange (public client ``spa``, PKCE) at the idp's token endpoint."""
    return requests.post(
        f"{idp_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": "spa",
            "code_verifier": verifier,
        },
        headers=headers,
        timeout=TIMEOUT,
    )


def jwks_key(idp_url: str, kid: str) -> jwt.PyJWK:
    keys = requests.get(f"{idp_url}/.well-known/openid-configuration/jwks", timeout=TIMEOUT).json()["keys"]
    (match,) = [key for key in keys if key["kid"] == kid]
    return jwt.PyJWK(match)


def verify(token: str, idp_url: str, audience: str) -> dict[str, Any]:
    """Verify an RS256 token with the idp's published key, as a resource server would."""
    key = jwks_key(idp_url, jwt.get_unverified_header(token)["kid"])
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=idp_url)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
