"""DPoP proof verification (RFC 9449 4.3), checked on every request.

A proof is a compact JWS (parsed as strictly as access tokens,
``tokens.parse_jws``) whose header has ``typ: dpop+jwt``, an ``alg`` from
``DPOP_ALGORITHMS`` and the public ``jwk`` that signed it; its claims name
the request (``htm``, ``htu``), its time (``iat``), itself (``jti``), the
access token (``ath``) and, when asked for, a server ``nonce``.

A client sends the same header with every proof: once a header segment has
passed the header checks and its ``jwk`` the key checks, the verifier keeps
the algorithm and key it named, by the exact segment text (``HEADER_MEMO_SIZE``
per verifier, least recently used first out). Another segment, however
slight the difference, is decoded and checked in full. The signature, the
claims and the replay store are checked on every proof.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.settings import normalise_typ
from jwks_auth.exceptions import TokenError
from jwks_auth.keys.jwks import VerificationKey, algorithm_allowed
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
from jwks_auth.utils.digest import sha256
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.utils.lru import BoundedLRU
from jwks_auth.validation.jws import decode_object, decode_segment, signing_input, split_jws

#: Header members a proof may carry; a key-selecting member other than ``jwk`` (jku, x5u, x5c, kid is
#: tolerated and ignored) or ``crit`` is refused.
ALLOWED_HEADER = frozenset({"typ", "alg", "jwk", "kid"})
PROOF_TYPE = "dpop+jwt"
#: Checked proof headers a verifier keeps (one per client key, typically).
HEADER_MEMO_SIZE = 1024


def access_token_hash(token: str) -> str:
    """``ath``: base64url(SHA-256(the ASCII access token))."""
    return b64url_encode(sha256(token.encode("utf-8", "surrogatepass")))


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a call per field, on every DPoP request
class VerifiedProof:
    """What a valid proof established (read it only)."""

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
        # Header segment -> (alg, key), only for headers that passed every check under these settings.
        self.checked_headers: BoundedLRU[str, tuple[str, VerificationKey]] = BoundedLRU(HEADER_MEMO_SIZE)

    def verify(
        self,
        proof: str,
        facts: RequestDetails,
        *,
        access_token: str | None,
        nonce_required: bool = False,
        now: float | None = None,
        remember: bool = True,
        algorithms: frozenset[str] | None = None,
    ) -> VerifiedProof:
        """The verified proof, or ``ProofError`` / ``NonceRequired`` / ``ReplayUnavailable``.

        ``remember=False`` leaves recording its ``jti`` to the caller (``remember``), after checks of its own.
        ``algorithms`` narrows ``DPOP_ALGORITHMS`` for this request (an issuer's security profile): checked on the
        header, before the signature costs anything and before any claim or nonce is looked at.
        """
        now = time.time() if now is None else now
        alg, key, claims, data, signature = self._parse(proof)
        if algorithms is not None and alg not in algorithms:
            raise ProofError("DPoP proof algorithm not allowed", code=Reason.DPOP_ALG)
        if not key.verify(alg, data, signature):
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

    def _parse(self, proof: str) -> tuple[str, VerificationKey, dict[str, Any], bytes, bytes]:
        """``(alg, key, claims, signing input, signature)``: each segment decoded once, a known header not at all."""
        try:
            header_b64, payload_b64, signature_b64 = split_jws(proof, self.settings.max_proof_length)
            checked = self.checked_headers.get(header_b64)
            header = decode_object(header_b64) if checked is None else None
            claims = decode_object(payload_b64)
            signature = decode_segment(signature_b64)
        except TokenError as exc:
            raise ProofError("malformed DPoP proof", code=Reason.DPOP_MALFORMED) from exc
        if checked is None:
            assert header is not None
            alg = self._check_header(header)
            checked = (alg, proof_key(header.get("jwk"), alg))
            self.checked_headers.put(header_b64, checked)
        return checked[0], checked[1], claims, signing_input(proof, header_b64, payload_b64), signature

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
