"""Scope values cannot be smuggled (issue 11, item 2; RFC 6749 3.3).

A scope string is split on U+0020 only; a piece outside the scope-token
grammar is ignored (documented in jwks_auth.validation.scopes and SECURITY.md); array
claims (roles, permissions, scp arrays) contribute whole values, never split.
Judged through the real request cycle on a ``HasScopes`` view that requires
``admin``, and at the unit level.
"""

from __future__ import annotations

import pytest

from jwks_auth.exceptions import InvalidClaims
from jwks_auth.validation.scopes import SCOPE_TOKEN, scope_values, scopes_from_claims

pytestmark = [pytest.mark.django_db(databases=[]), pytest.mark.urls("tests.security.urls")]

ADMIN = "/admin-only"
SEPARATORS = ["\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=[f"U+{ord(c):04X}" for c in SEPARATORS])
def test_other_whitespace_does_not_separate_scopes(judge, claims_token, separator):
    token = claims_token(scope=f"api1{separator}admin")
    judge.token("WS", token, path=ADMIN, scopes="admin")
    # Nor does it grant api1: the whole piece is outside the grammar and ignored.
    judge.token("WS", token, scopes="api1")


def test_a_role_with_a_space_is_one_value(judge, jwks_config, claims_token):
    jwks_config(SCOPE_CLAIMS=["scope", "roles"])
    judge.token("WS", claims_token(scope="api1", roles=["read admin"]), path=ADMIN, scopes="admin")


@pytest.mark.parametrize(
    "claim, value", [("permissions", ["read admin"]), ("scp", ["api1 admin"]), ("scope", ["api1 admin"])]
)
def test_array_claims_are_never_split(judge, jwks_config, claims_token, claim, value):
    jwks_config(SCOPE_CLAIMS=["scope", claim])
    changes = {claim: value} if claim == "scope" else {"scope": "api1", claim: value}
    judge.token("WS", claims_token(**changes), path=ADMIN, scopes="admin")


def test_keycloak_nested_roles_are_never_split(judge, jwks_config, claims_token):
    jwks_config(SCOPE_CLAIMS=["scope", ["realm_access", "roles"]])
    judge.token("WS", claims_token(realm_access={"roles": ["read admin"]}), path=ADMIN, scopes="admin")


@pytest.mark.parametrize("scope", ["api1 admin", "admin", " admin ", "api1  admin", "x\x1fy admin"])
def test_admin_as_a_real_scope_token_is_granted_control(judge, claims_token, scope):
    judge.token("200", claims_token(scope=scope), path=ADMIN)


def test_a_role_named_admin_is_granted_when_roles_are_scopes_control(judge, jwks_config, claims_token):
    jwks_config(SCOPE_CLAIMS=["scope", "roles"])
    judge.token("200", claims_token(scope="api1", roles=["read admin", "admin"]), path=ADMIN)


# -- unit level -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ("api1 admin", ["api1", "admin"]),
        ("api1\x1fadmin", []),
        ("api1\tadmin read", ["read"]),
        ("  api1   orders.read ", ["api1", "orders.read"]),
        ('a"b c\\d e', ["e"]),  # %x22 and %x5C are outside the grammar
        ("caf\u00e9 api1", ["api1"]),  # non-ASCII too
        ("!#[]~ api1", ["!#[]~", "api1"]),
        (["read admin", "api1"], ["read admin", "api1"]),
        (["", "api1"], ["api1"]),
        (["r\u00f4le"], ["r\u00f4le"]),  # array values are the provider's names, kept whole
    ],
)
def test_scope_values(value, expected):
    assert scope_values(value) == expected


@pytest.mark.parametrize("value", [3, None, {"a": 1}, ["a", 2]])
def test_scope_values_of_the_wrong_type(value):
    with pytest.raises(InvalidClaims):
        scope_values(value)


def test_the_grammar_is_rfc_6749():
    allowed = {chr(c) for c in range(0x110) if SCOPE_TOKEN.fullmatch(chr(c))}
    assert allowed == {chr(0x21)} | {chr(c) for c in range(0x23, 0x5C)} | {chr(c) for c in range(0x5D, 0x7F)}


def test_the_set_never_holds_a_piece_of_a_role():
    scopes = scopes_from_claims({"scope": "api1", "roles": ["read admin"]}, ["scope", "roles"])
    assert scopes == {"api1", "read admin"}
