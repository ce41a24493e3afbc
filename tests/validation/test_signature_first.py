"""With one issuer and its key in memory, a token's signature is checked before its payload is read."""

from __future__ import annotations

import os

import pytest

from jwks_auth.exceptions import TokenError
from jwks_auth.reasons import Reason
from jwks_auth.validation.validator import get_validator
from tests.support.keys import b64url
from tests.support.tokens import access_claims, encode_segment, mint

pytestmark = pytest.mark.django_db(databases=[])

NOT_JSON = b"{not json"


def reason_of(token: str) -> Reason:
    with pytest.raises(TokenError) as caught:
        get_validator().validate(token)
    return Reason(caught.value.code)


def forged(header: str, payload: str) -> str:
    return f"{header}.{payload}.{b64url(os.urandom(256))}"


def header_of(key) -> str:
    return encode_segment({"alg": key.alg, "kid": key.kid, "typ": "at+jwt"})


def test_a_forged_token_is_refused_on_its_signature_before_its_payload_is_read(jwks_config, signing_key, token):
    get_validator().validate(token)  # the key set is in memory now
    # A payload that is not even JSON: refused on the signature, so it was never parsed.
    assert reason_of(forged(header_of(signing_key), b64url(NOT_JSON))) == Reason.SIGNATURE
    # Signed, the same payload is read after the signature holds, and refused as malformed.
    assert reason_of(mint(signing_key, NOT_JSON)) == Reason.MALFORMED


def test_the_claims_still_decide_once_the_signature_holds(jwks_config, signing_key, token):
    get_validator().validate(token)
    foreign = mint(signing_key, {**access_claims("https://elsewhere.example"), "aud": "api1"})
    assert reason_of(foreign) == Reason.UNTRUSTED_ISSUER
    assert (
        reason_of(mint(signing_key, access_claims(get_validator().registry.only[0].issuer, audience="x")))
        == Reason.AUDIENCE
    )


def test_an_unknown_kid_or_a_cold_key_set_reads_the_claims_first(jwks_config, signing_key, provider):
    # Nothing in memory yet: the long way, claims first (no fetch for a payload that is not JSON).
    assert reason_of(forged(header_of(signing_key), b64url(NOT_JSON))) == Reason.MALFORMED
    assert provider.jwks_hits == 0
    get_validator().validate(mint(signing_key, access_claims(provider.issuer)))
    unknown = encode_segment({"alg": "RS256", "kid": "not-in-the-set", "typ": "at+jwt"})
    assert reason_of(forged(unknown, b64url(NOT_JSON))) == Reason.MALFORMED


def test_several_issuers_read_the_claims_first(settings, provider, signing_key, make_token):
    settings.JWKS_AUTH = {
        "ISSUERS": [
            {"ISSUER": provider.issuer, "AUDIENCE": ["api1"]},
            {"ISSUER": "https://other.example", "AUDIENCE": ["api1"], "JWKS_URI": provider.jwks_uri},
        ]
    }
    get_validator().validate(make_token())
    assert get_validator().registry.only is None
    assert reason_of(forged(header_of(signing_key), b64url(NOT_JSON))) == Reason.MALFORMED
