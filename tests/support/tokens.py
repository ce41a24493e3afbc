"""Minting real signed JWTs, including deliberately malformed ones."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.keys import SigningKey, b64url

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def sign(signing_input: bytes, key: SigningKey, alg: str | None = None) -> bytes:
    alg = alg or key.alg
    pk = key.private_key
    if alg in ("EdDSA", "Ed25519"):  # RFC 8037's name and RFC 9864's fully-specified one
        assert isinstance(pk, Ed25519PrivateKey)
        return pk.sign(signing_input)
    digest = _HASHES[alg[2:]]()
    if alg.startswith("RS"):
        return pk.sign(signing_input, padding.PKCS1v15(), digest)
    if alg.startswith("PS"):
        return pk.sign(signing_input, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
    if alg.startswith("ES"):
        der = pk.sign(signing_input, ec.ECDSA(digest))
        r, s = utils.decode_dss_signature(der)
        size = (pk.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError(f"unsupported alg {alg}")


def encode_segment(value: Any) -> str:
    if isinstance(value, bytes):
        return b64url(value)
    if isinstance(value, str):
        return b64url(value.encode("utf-8"))
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def mint(
    key: SigningKey,
    claims: dict[str, Any] | str | bytes,
    header: dict[str, Any] | str | bytes | None = None,
    *,
    alg: str | None = None,
    typ: str | None = "at+jwt",
) -> str:
    """Sign `claims` with `key`. A str/bytes header or payload is used verbatim."""
    if header is None:
        header = {"alg": alg or key.alg, "kid": key.kid}
        if typ is not None:
            header["typ"] = typ
    signing_input = f"{encode_segment(header)}.{encode_segment(claims)}"
    signature = sign(
        signing_input.encode("ascii"), key, alg or (header.get("alg") if isinstance(header, dict) else None)
    )
    return f"{signing_input}.{b64url(signature)}"


def access_claims(issuer: str, audience: str | list[str] = "api1", lifetime: int = 300, **extra: Any) -> dict[str, Any]:
    """An RFC 9068 access token payload."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "88421113",
        "aud": audience,
        "client_id": "client",
        "scope": "api1",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}
