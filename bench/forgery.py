"""Forged access tokens: well-formed, for the right issuer, key id and audience, with a signature nobody made.

Each one carries its own ``jti``, so a server cannot answer them from a cache
of earlier verdicts; refusing one costs the full check up to the signature.
"""

from __future__ import annotations

import os
import uuid

from tests.support.keys import SigningKey, b64url
from tests.support.tokens import access_claims, encode_segment


def forged_tokens(key: SigningKey, issuer: str, count: int, audience: str = "api1") -> list[str]:
    header = encode_segment({"alg": key.alg, "kid": key.kid, "typ": "at+jwt"})
    tokens = []
    for _ in range(count):
        claims = access_claims(issuer, audience=audience, lifetime=3600)
        claims["jti"] = uuid.uuid4().hex
        tokens.append(f"{header}.{encode_segment(claims)}.{b64url(os.urandom(256))}")
    return tokens
