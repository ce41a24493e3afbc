"""The JOSE signature algorithms a JWKS key may verify with: asymmetric only, by design."""

#: The two names of Ed25519 signatures: RFC 8037's polymorphic ``EdDSA`` and
#: RFC 9864's fully-specified ``Ed25519``. Only Ed25519 keys are ever used, so
#: they are one algorithm here: either name allows, and matches, both.
EDDSA_NAMES = frozenset({"EdDSA", "Ed25519"})
#: Algorithms a JWKS key can ever verify. HMAC and "none" are absent by design.
ASYMMETRIC_ALGORITHMS = (
    frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}) | EDDSA_NAMES
)
