"""DPoP proof verification (RFC 9449 4.3), checked on every request.

A proof is a compact JWS (parsed as strictly as access tokens,
``tokens.parse_jws``) whose header has ``typ: dpop+jwt``, an ``alg`` from
``DPOP_ALGORITHMS`` and the public ``jwk`` that signed it; its claims name
the request (``htm``, ``htu``), its time (``iat``), itself (``jti``), the
access token (``ath``) and, when asked for, a server ``nonce``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.settings import normalise_typ
from jwks_auth.exceptions import TokenError
from jwks_auth.keys.jwks import algorithm_allowed
from jwks_auth.keys.material import b64url_encode
from jwks_auth.reasons import Reason
from jwks_auth.sender.errors import NonceRequired, ProofError
from jwks_auth.sender.htu import normalise_url
from jwks_auth.sender.nonce import NonceSource
from jwks_auth.sender.origin import expected_urls
from jwks_auth.sender.proof_key import proof_key
from jwks_auth.sender.replay import ReplayGuard
from jwks_auth.sender.request_details import RequestDetails
from jwks_auth.sender.settings import DPoPSettings
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.validation.jws import parse_jws

#: Header members a proof may carry; a key-selecting member other than ``jwk`` (jku, x5u, x5c, kid is
#: tolerated and ignored) or ``crit`` is refused.
ALLOWED_HEADER = frozenset({"typ", "alg", "jwk", "kid"})
PROOF_TYPE = "dpop+jwt"


def access_token_hash(token: str) -> str:
    """``ath``: base64url(SHA-256(the ASCII access token))."""
    return b64url_encode(hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest())


@dataclass(frozen=True)
class VerifiedProof:
    """What a valid proof established."""

    thumbprint: str
    alg: str
    jti: str
    htm: str
    htu: str
    iat: float
    nonce: str | None = None


class ProofVerifier:
    """Checks proofs against requests; the replay guard and nonce source are shared by all issuers."""

    def __init__(self, settings: DPoPSettings, replay: ReplayGuard | None, nonces: NonceSource | None) -> None:
        self.settings = settings
        self.replay = replay
        self.nonces = nonces

    def verify(
        self,
        proof: str,
        facts: RequestDetails,
        *,
        access_token: str | None,
        nonce_required: bool = False,
        now: float | None = None,
        remember: bool = True,
    ) -> VerifiedProof:
        """The verified proof, or ``ProofError`` / ``NonceRequired`` / ``ReplayUnavailable``.

        ``remember=False`` leaves recording its ``jti`` to the caller (``remember``), after checks of its own.
        """
        now = time.time() if now is None else now
        settings = self.settings
        try:
            header, claims, signing_input, signature = parse_jws(proof, settings.max_proof_length)
        except TokenError as exc:
            raise ProofError("malformed DPoP proof", code=Reason.DPOP_MALFORMED) from exc
        alg = self._check_header(header)
        key = proof_key(header.get("jwk"), alg)
        if not key.verify(alg, signing_input, signature):
            raise ProofError("invalid DPoP proof signature", code=Reason.DPOP_SIGNATURE)
        jti, htu = self._check_claims(claims, facts, now)
        if access_token is not None:
            ath = claims.get("ath")
            if type(ath) is not str or not hmac.compare_digest(ath, access_token_hash(access_token)):
                raise ProofError("DPoP proof ath does not match the access token", code=Reason.DPOP_ATH)
        nonce = claims.get("nonce")
        if nonce_required and (self.nonces is None or not self.nonces.valid(nonce, now)):
            raise NonceRequired()
        verified = VerifiedProof(
            key.thumbprint,
            alg,
            jti,
            claims["htm"],
            htu,
            float(claims["iat"]),
            nonce if isinstance(nonce, str) else None,
        )
        if remember:
            self.remember(verified)
        return verified

    def remember(self, proof: VerifiedProof) -> None:
        """Record the proof's ``jti``: ``ProofError`` if it was seen, ``ReplayUnavailable`` if the store is down.

        Last of all checks: a proof refused for any other reason takes no place in the store.
        """
        if self.replay is not None:
            self.replay.remember(proof.thumbprint, proof.htu, proof.jti, self.settings.replay_ttl)

    def _check_header(self, header: dict[str, Any]) -> str:
        if not header.keys() <= ALLOWED_HEADER:
            raise ProofError("unsupported DPoP proof header parameter", code=Reason.DPOP_HEADER)
        typ = header.get("typ")
        if type(typ) is not str or normalise_typ(typ) != PROOF_TYPE:
            raise ProofError("DPoP proof typ is not dpop+jwt", code=Reason.DPOP_TYP)
        alg = header.get("alg")
        if type(alg) is not str or not algorithm_allowed(alg, self.settings.algorithms):
            raise ProofError("DPoP proof algorithm not allowed", code=Reason.DPOP_ALG)
        if "jwk" not in header:
            raise ProofError("DPoP proof has no jwk", code=Reason.DPOP_JWK)
        return alg

    def _check_claims(self, claims: dict[str, Any], facts: RequestDetails, now: float) -> tuple[str, str]:
        settings = self.settings
        jti = claims.get("jti")
        if type(jti) is not str or not jti or len(jti) > settings.jti_max_length:
            raise ProofError("DPoP proof jti missing or invalid", code=Reason.DPOP_JTI)
        if claims.get("htm") != facts.method or type(claims.get("htm")) is not str:
            raise ProofError("DPoP proof htm does not match the request", code=Reason.DPOP_HTM)
        htu = normalise_url(claims.get("htu"))
        if htu is None or htu not in expected_urls(facts, settings):
            raise ProofError("DPoP proof htu does not match the request", code=Reason.DPOP_HTU)
        iat = claims.get("iat")
        if not is_finite_number(iat):
            raise ProofError("DPoP proof iat missing or invalid", code=Reason.DPOP_IAT)
        if now - iat > settings.iat_max_age or iat - now > settings.iat_max_ahead:
            raise ProofError("DPoP proof iat outside the accepted window", code=Reason.DPOP_IAT)
        return jti, htu
