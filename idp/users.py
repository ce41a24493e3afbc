"""The IdentityServer4 quickstart test users (bob and alice) and their profile claims.

Their primary keys are the quickstart's SubjectIds, so ``sub`` matches the
original sample. The claims live here, next to the users, the way the
quickstart's ``TestUsers`` class keeps them; ``seed_idp`` creates the Django
users and the OAuth2 validator reads the claims.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

_ADDRESS = {
    "street_address": "One Hacker Way",
    "locality": "Heidelberg",
    "postal_code": "69118",
    "country": "Germany",
}

TEST_USERS: list[dict[str, Any]] = [
    {
        "id": 818727,
        "username": "alice",
        "password": "alice",
        "second_factor": "111111",
        "claims": {
            "name": "Alice Smith",
            "given_name": "Alice",
            "family_name": "Smith",
            "email": "AliceSmith@email.com",
            "email_verified": True,
            "website": "http://alice.com",
            "address": _ADDRESS,
        },
    },
    {
        "id": 88421113,
        "username": "bob",
        "password": "bob",
        "second_factor": "222222",
        "claims": {
            "name": "Bob Smith",
            "given_name": "Bob",
            "family_name": "Smith",
            "email": "BobSmith@email.com",
            "email_verified": True,
            "website": "http://bob.com",
            "address": _ADDRESS,
            "location": "somewhere",
        },
    },
]

# Which scope releases each claim (OIDC Core 5.4). There is no "address" scope
# here, so the quickstart's address and bob's custom location ride on "profile".
CLAIM_SCOPES: dict[str, str] = {
    "name": "profile",
    "given_name": "profile",
    "family_name": "profile",
    "website": "profile",
    "address": "profile",
    "location": "profile",
    "email": "email",
    "email_verified": "email",
}

_SECOND_FACTORS = {user["username"]: user["second_factor"] for user in TEST_USERS}


def second_factor_code(user: AbstractBaseUser) -> str | None:
    """The one-time code of a test user (a dev server's stand-in for TOTP); ``None`` for anyone else."""
    return _SECOND_FACTORS.get(user.get_username())


_CLAIMS_BY_USERNAME = {user["username"]: user["claims"] for user in TEST_USERS}


def user_claims(user: AbstractBaseUser) -> dict[str, Any]:
    """Profile claims for a user: the quickstart's for bob/alice, Django's fields otherwise."""
    claims = _CLAIMS_BY_USERNAME.get(user.get_username())
    if claims is not None:
        return dict(claims)
    fallback = {
        "name": user.get_full_name() if hasattr(user, "get_full_name") else "",
        "given_name": getattr(user, "first_name", ""),
        "family_name": getattr(user, "last_name", ""),
        "email": getattr(user, "email", ""),
    }
    return {key: value for key, value in fallback.items() if value}
