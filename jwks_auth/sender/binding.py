"""Whether a validated token's ``cnf`` is met by the request: a DPoP proof or a client certificate.

Per issuer, ``DPOP`` says which schemes are accepted: ``"off"`` (Bearer only,
and a DPoP-bound token is refused since its binding cannot be honoured),
``"allowed"`` (Bearer or DPoP; a token with ``cnf.jkt`` only with a valid
proof) and ``"required"`` (DPoP only). A token with ``cnf["x5t#S256"]`` needs
the client certificate with that SHA-256 thumbprint (RFC 8705 3), whatever
the scheme. Proofs are checked on every request: nothing here is cached.

An issuer whose ``SECURITY_PROFILE`` is ``fapi2`` accepts sender-constrained tokens only: a token
without ``cnf`` is refused whatever the scheme, and a DPoP proof must be signed with PS256, ES256 or
EdDSA (FAPI 2.0 Security Profile 5.3.4, 5.4; docs/fapi2.md says where these numbers come from).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

from jwks_auth.access_token import Binding
from jwks_auth.conf.security_profile import FAPI2_ALGORITHMS
from jwks_auth.reasons import Reason
from jwks_auth.sender.certificates import certificate_thumbprint, client_certificate
from jwks_auth.sender.errors import BindingError, DPoPRequestError, ProofError
from jwks_auth.sender.proof import ProofVerifier, VerifiedProof
from jwks_auth.sender.request_details import RequestDetails
from jwks_auth.sender.settings import DPoPSettings

#: The fixed description of a token without ``cnf`` refused by an issuer that accepts only sender-constrained ones.
UNBOUND_REFUSED = "sender-constrained token required"


def confirmation(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(jkt, x5t#S256)`` from ``cnf``; ``BindingError`` for a ``cnf`` that cannot be read."""
    if "cnf" not in claims:
        return None, None
    cnf = claims["cnf"]
    if type(cnf) is not dict and not isinstance(cnf, Mapping):  # a dict first: Mapping's check is an ABC's
        raise BindingError("invalid cnf claim", code=Reason.CNF)
    jkt, x5t = cnf.get("jkt"), cnf.get("x5t#S256")
    for value in (jkt, x5t):
        if value is not None and (type(value) is not str or not value):
            raise BindingError("invalid cnf claim", code=Reason.CNF)
    return jkt, x5t


def check_binding(
    claims: Mapping[str, Any],
    *,
    scheme: str,
    dpop: bool,
    token: str,
    facts: Callable[[], RequestDetails],
    policy: str,
    nonce_required: bool,
    verifier: ProofVerifier,
    sender_constrained: bool = False,
    settings: DPoPSettings,
) -> Binding | None:
    """How the request met the token's ``cnf`` (``None``: a plain bearer token, nothing to meet).

    ``scheme`` is the request's scheme name (for the ``Binding``), ``dpop``
    whether its request carries a proof; ``facts`` is called only when a proof
    or a certificate is to be checked; ``sender_constrained`` refuses a token without ``cnf`` (FAPI 2.0).
    ``ProofError``, ``BindingError`` or ``DPoPRequestError`` when the binding is not met.
    """
    jkt, x5t = confirmation(claims)
    if sender_constrained and jkt is None and x5t is None:
        raise BindingError(UNBOUND_REFUSED, code=Reason.UNBOUND)
    request: RequestDetails | None = None
    proof: VerifiedProof | None = None
    if dpop:
        if policy == "off":
            raise BindingError("DPoP not accepted for this issuer", code=Reason.DPOP_OFF)
        request = facts()
        proofs = request.header("dpop")
        if not proofs:
            raise ProofError("missing DPoP proof", code=Reason.DPOP_MISSING)
        if len(proofs) != 1:
            raise DPoPRequestError("more than one DPoP proof", code=Reason.DPOP_REQUEST)
        if jkt is None:
            raise BindingError("token is not DPoP-bound", code=Reason.DPOP_UNBOUND)
        # Its jti is recorded only once the key and the certificate below match too.
        # FAPI 2.0 algorithms are checked on the proof's header, before its signature and its nonce.
        proof = verifier.verify(
            proofs[0],
            request,
            access_token=token,
            nonce_required=nonce_required,
            remember=False,
            algorithms=FAPI2_ALGORITHMS if sender_constrained else None,
        )
        if not hmac.compare_digest(proof.thumbprint, jkt):
            raise ProofError("DPoP proof key does not match the token", code=Reason.DPOP_JKT)
    elif jkt is not None:
        # The downgrade DPoP exists to stop: a stolen bound token replayed as a bearer token.
        raise BindingError("DPoP-bound token used as a bearer token", code=Reason.DPOP_DOWNGRADE)
    elif policy == "required":
        raise BindingError("DPoP required", code=Reason.DPOP_REQUIRED)
    thumbprint = None
    if x5t is not None:
        certificate = client_certificate(request or facts(), settings)
        thumbprint = None if certificate is None else certificate_thumbprint(certificate)
        if thumbprint is None or not hmac.compare_digest(thumbprint, x5t):
            raise BindingError("client certificate does not match the token", code=Reason.CERTIFICATE)
    if proof is not None:
        verifier.remember(proof)
    elif thumbprint is None:
        return None
    return Binding(scheme, None if proof is None else proof.thumbprint, thumbprint)
