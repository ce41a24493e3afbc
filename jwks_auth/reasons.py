"""Why a token was refused: one value per failure.

The values are short snake_case strings because they leave the process:
``TokenError.code``, the ``reason`` of the ``token_rejected`` signal, the
``reason`` label of ``jwks_auth_tokens_total`` and the debug log. They are
fixed, never derived from a token. ``docs/troubleshooting.md`` lists them, with their causes.
"""

from __future__ import annotations

from enum import StrEnum, unique

__all__ = ["Reason"]


@unique
class Reason(StrEnum):
    """A refusal (401) or an outage (503); ``str(reason)`` is its value."""

    # The compact JWS itself.
    INVALID = "invalid"  # a TokenError raised without a more precise reason
    MALFORMED = "malformed"  # not three canonical base64url JSON segments, not a b64token
    TOO_LARGE = "too_large"
    # The JOSE header.
    HEADER = "header"  # a member that is not allowed, or of the wrong type
    ALG = "alg"
    BAD_KID = "bad_kid"  # missing, empty, too long, not a string
    TYP = "typ"
    # The key and the signature.
    UNKNOWN_KID = "unknown_kid"  # no key of the issuer's (fresh) set has that kid
    SIGNATURE = "signature"
    # The claims.
    UNTRUSTED_ISSUER = "issuer"
    AUDIENCE = "audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "nbf"
    ISSUED_IN_FUTURE = "iat"
    MISSING_CLAIM = "missing_claim"  # REQUIRED_CLAIMS or REQUIRED_ONE_OF
    CLAIM_TYPE = "claim_type"  # a registered or scope claim of the wrong JSON type
    CLAIM_VALUE = "claim_value"  # CLAIM_VALUES differ
    ID_TOKEN = "id_token"  # at_hash, c_hash or s_hash: an ID token, not an access token
    # After the signature.
    INACTIVE = "inactive"  # introspection said active: false
    REVOKED = "revoked"  # IS_REVOKED said so
    SIGNAL_REVOKED = "signal_revoked"  # a Shared Signals event: the session or account, since the token's iat
    SIGNAL_CLAIMS = "signal_claims"  # a Shared Signals event: the token's claims are no longer true
    ACTOR = "actor"  # an RFC 8693 act whose outermost actor is not in the issuer's ACCEPTED_ACTORS
    USER = "user"  # USER_RESOLVER found no usable user
    # Sender constraints (jwks_auth.sender): how the token is bound, and how the request proved it.
    CNF = "cnf"  # a cnf claim that cannot be read
    BINDING = "binding"  # a BindingError raised without a more precise reason
    DPOP_DOWNGRADE = "dpop_downgrade"  # a DPoP-bound token sent as Bearer
    DPOP_REQUIRED = "dpop_required"  # a Bearer token for an issuer whose DPOP is "required"
    DPOP_OFF = "dpop_off"  # a DPoP token for an issuer whose DPOP is "off"
    DPOP_UNBOUND = "dpop_unbound"  # a DPoP proof with a token that has no cnf.jkt
    UNBOUND = "unbound"  # a token without cnf for an issuer that accepts only sender-constrained ones (fapi2)
    CERTIFICATE = "mtls"  # no client certificate, not the one of cnf x5t#S256, or more than one
    DPOP_REQUEST = "dpop_request"  # a malformed DPoP request (more than one DPoP header)
    # The DPoP proof (RFC 9449 4.3).
    DPOP_PROOF = "dpop_proof"  # a ProofError raised without a more precise reason
    DPOP_MISSING = "dpop_missing"
    DPOP_MALFORMED = "dpop_malformed"
    DPOP_HEADER = "dpop_header"
    DPOP_TYP = "dpop_typ"
    DPOP_ALG = "dpop_alg"
    DPOP_JWK = "dpop_jwk"
    DPOP_SIGNATURE = "dpop_signature"
    DPOP_JTI = "dpop_jti"
    DPOP_HTM = "dpop_htm"
    DPOP_HTU = "dpop_htu"
    DPOP_IAT = "dpop_iat"
    DPOP_ATH = "dpop_ath"
    DPOP_JKT = "dpop_jkt"
    DPOP_NONCE = "dpop_nonce"
    DPOP_REPLAY = "dpop_replay"
    # 503s: not the token's fault.
    KEYS_UNAVAILABLE = "keys_unavailable"
    MISCONFIGURED = "misconfigured"
    REPLAY_UNAVAILABLE = "replay_unavailable"  # the DPoP replay store (the shared cache) cannot answer
    INTROSPECTION_UNAVAILABLE = "introspection_down"  # the RFC 7662 endpoint gives no answer
    REVOCATION_UNAVAILABLE = "revocation_down"  # IS_REVOKED raised
    UNAVAILABLE = "unavailable"  # something else a check needs cannot answer now
    INTROSPECTION_RESPONSE = "introspection_jwt"  # an RFC 9701 answer unsigned, forged or not for us
