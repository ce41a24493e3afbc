"""The signing key, its public JWK and the RFC 9068 JWT access token generator.

DOT signs ID tokens with ``OIDC_RSA_PRIVATE_KEY`` and puts the key's RFC 7638
thumbprint (jwcrypto's ``JWK.thumbprint()``) in their ``kid``. The access
tokens and the published JWKS use that same key object, so one ``kid`` covers
every token this server issues.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauthlib.common import Request


def signing_key() -> jwk.JWK:
    """The private signing key, the very (cached) object DOT uses for ID tokens."""
    return jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)


def key_id() -> str:
    """The ``kid`` shared by ID tokens, access tokens and the JWKS."""
    return signing_key().thumbprint()


@functools.lru_cache(maxsize=4)
def _certificate_der(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(Encoding.DER)


def public_jwk() -> dict[str, Any]:
    """The JWKS entry in IdentityServer's shape: kty, use, kid, x5t, e, n, x5c, alg."""
    entry: dict[str, Any] = {"kty": "RSA", "use": "sig", "kid": key_id()}
    public = json.loads(signing_key().export_public())
    der = _certificate_der(settings.IDP_SIGNING_CERT_PEM) if settings.IDP_SIGNING_CERT_PEM else None
    if der:
        # x5t is base64url(SHA-1(DER)); x5c is plain base64 DER (RFC 7517 4.7, 4.8).
        entry["x5t"] = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    entry["e"], entry["n"] = public["e"], public["n"]
    if der:
        entry["x5c"] = [base64.b64encode(der).decode()]
    entry["alg"] = "RS256"
    return entry


def subject_of(user: Any) -> str:
    """The ``sub`` of a user's tokens (and of the Shared Signals events about them, idp.ssf)."""
    return str(user.pk)


def access_token_claims(request: Request) -> dict[str, Any]:
    """RFC 9068 claims for the token oauthlib is about to issue."""
    now = int(time.time())
    client_id = request.client.client_id
    user = request.user if request.grant_type != "client_credentials" else None
    claims: dict[str, Any] = {
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
        # RFC 9068 2.2: with no resource owner, sub is the client's own id.
        "sub": subject_of(user) if user is not None else client_id,
        "aud": settings.IDP_ACCESS_TOKEN_AUDIENCE,
        "client_id": client_id,
        "scope": " ".join(request.scopes or []),
        "iat": now,
        "nbf": now,
        # oauthlib sets expires_in before calling the generator; DOT stores the same lifetime.
        "exp": now + int(request.expires_in),
        "jti": uuid.uuid4().hex,
    }
    from idp.authorization_details import granted
    from idp.dpop import bound_key

    details = granted.get()
    if details is not None:
        claims["authorization_details"] = details  # RFC 9396 9.1
    jkt = bound_key.get()
    if jkt is not None:
        # RFC 9449 6.1: bound to the key of the token request's DPoP proof.
        claims["cnf"] = {"jkt": jkt}
    if user is not None:
        # RFC 9068 2.2.1: how and when the user authenticated (idp.step_up: password, or with the second factor).
        from idp.step_up import authentication_of

        claims["acr"], auth_time = authentication_of(user)
        if auth_time is not None:
            claims["auth_time"] = auth_time
    return claims


def access_token_generator(request: Request) -> str:
    """DOT ``ACCESS_TOKEN_GENERATOR``: returns a signed ``at+jwt`` for the request.

    DOT keeps a checksum of the returned string (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE
    stores no token at rest), so its userinfo and introspection endpoints still
    find these tokens.
    """
    header = {"alg": "RS256", "typ": "at+jwt", "kid": key_id()}
    token = jwt.JWT(header=header, claims=access_token_claims(request))
    token.make_signed_token(signing_key())
    return token.serialize()
