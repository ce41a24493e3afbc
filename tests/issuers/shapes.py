"""Tokens in the real shapes of each identity provider (see shared/reference/token-shapes.md).

Each ``Shape`` holds the provider's issuer, the JWKS_AUTH settings that
``docs/providers/`` documents for it, a signing key published the way the
provider publishes it, and access tokens it issues (accepted) next to tokens
the API must refuse (ID tokens, tokens for another API, ...).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from tests.support.keys import SigningKey, b64url

Token = tuple[dict[str, Any], dict[str, Any]]  # header, claims


@dataclass
class Shape:
    name: str
    issuer: str | None  # None: the loopback provider's own URL, found by discovery
    settings: dict[str, Any]
    key: SigningKey
    jwk_options: dict[str, Any] = field(default_factory=dict)
    accepted: dict[str, Callable[[str], Token]] = field(default_factory=dict)
    refused: dict[str, Callable[[str], Token]] = field(default_factory=dict)
    #: scopes the accepted tokens carry (they must include the view's ``api1``-like scope)
    scope: str = "api1"


def _times(lifetime: int = 3600) -> dict[str, int]:
    now = int(time.time())
    return {"nbf": now, "iat": now, "exp": now + lifetime}


def _cert_sha1(key: SigningKey) -> bytes:
    assert key.certificate is not None
    return hashlib.sha1(key.certificate.public_bytes(Encoding.DER)).digest()


def _rfc7638(key: SigningKey) -> str:
    jwk = key.public_jwk()
    members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    return b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())


# -- IdentityServer4 2.4 (the seed sample) ----------------------------------------------------------
def identityserver4_2() -> Shape:
    key = SigningKey.rsa(kid="tmp", x5c=True)
    key.kid = _cert_sha1(key).hex().upper()  # the certificate's SHA-1 thumbprint
    x5t = b64url(_cert_sha1(key))
    header = {"alg": "RS256", "kid": key.kid, "typ": "JWT", "x5t": x5t}
    iss = "http://localhost:5000"

    def client_credentials(iss: str) -> Token:
        t = _times(100)
        return header, {
            "nbf": t["nbf"],
            "exp": t["exp"],
            "iss": iss,
            "aud": [f"{iss}/resources", "api1"],
            "client_id": "client",
            "scope": ["api1"],
        }

    def user(iss: str) -> Token:
        t = _times(100)
        return header, {
            "nbf": t["nbf"],
            "exp": t["exp"],
            "iss": iss,
            "aud": [f"{iss}/resources", "api1"],
            "client_id": "js_oidc",
            "sub": "88421113",
            "auth_time": t["iat"],
            "idp": "local",
            "scope": ["openid", "profile", "email", "api1"],
            "amr": ["pwd"],
        }

    def id_token(iss: str) -> Token:
        t = _times(15)
        return header, {
            **t,
            "iss": iss,
            "aud": "js_oidc",
            "nonce": "n-0S6_WzA2Mj",
            "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
            "sid": "a1b2",
            "sub": "88421113",
            "auth_time": t["iat"],
            "idp": "local",
            "amr": ["pwd"],
        }

    def other_api(iss: str) -> Token:
        h, c = client_credentials(iss)
        return h, {**c, "aud": [f"{iss}/resources", "api2"], "scope": ["api2", "api1"]}

    return Shape(
        "identityserver4-2",
        iss,
        {"PROFILE": "identityserver4-2", "AUDIENCE": ["api1"], "LEEWAY": 0},
        key,
        accepted={"client credentials": client_credentials, "user (implicit flow)": user},
        refused={"ID token": id_token, "token for another API": other_api},
    )


# -- IdentityServer4 3.x/4.x ------------------------------------------------------------------------------
def identityserver4() -> Shape:
    key = SigningKey.rsa(kid="tmp", x5c=True)
    key.kid = _cert_sha1(key).hex().upper() + "RS256"  # 4.x: thumbprint + algorithm
    header = {"alg": "RS256", "kid": key.kid, "typ": "at+jwt", "x5t": b64url(_cert_sha1(key))}

    def v4(iss: str) -> Token:
        return header, {
            **_times(),
            "iss": iss,
            "aud": "api1",
            "client_id": "client",
            "jti": uuid.uuid4().hex.upper(),
            "scope": ["api1"],
        }

    def v4_string_scope_user(iss: str) -> Token:
        h, c = v4(iss)
        t = c["iat"]
        return h, {
            **c,
            "scope": "openid profile api1",
            "sub": "818727",
            "auth_time": t,
            "idp": "local",
            "amr": ["pwd"],
            "sid": "F00D",
        }

    def v3(iss: str) -> Token:
        h, c = v4(iss)
        del c["jti"]  # 3.x: iat, no jti
        return h, c

    def id_token(iss: str) -> Token:
        return {**header, "typ": "JWT"}, {
            **_times(300),
            "iss": iss,
            "aud": "js_oidc",
            "sub": "818727",
            "nonce": "abc",
            "sid": "F00D",
            "auth_time": int(time.time()),
            "idp": "local",
            "amr": ["pwd"],
        }

    def other_api(iss: str) -> Token:
        h, c = v4(iss)
        return h, {**c, "aud": "api2"}

    def scope_only_no_aud(iss: str) -> Token:
        h, c = v4(iss)
        del c["aud"]  # 4.x with scopes only and no EmitStaticAudienceClaim
        return h, c

    return Shape(
        "identityserver4",
        "https://demo.identityserver.io",
        {"PROFILE": "identityserver4", "AUDIENCE": ["api1"]},
        key,
        accepted={"4.x client credentials": v4, "4.x user, scope string": v4_string_scope_user, "3.x": v3},
        refused={
            "ID token": id_token,
            "token for another API": other_api,
            "no aud (scope-only setup)": scope_only_no_aud,
        },
    )


# -- Duende IdentityServer ------------------------------------------------------------------------------------
def duende() -> Shape:
    key = SigningKey.rsa(kid=uuid.uuid4().hex.upper(), x5c=False)  # automatic key management: random kid, raw key
    header = {"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}

    def user(iss: str) -> Token:
        t = _times()
        return header, {
            **t,
            "iss": iss,
            "aud": "api1",
            "scope": "openid profile api1",
            "amr": ["pwd"],
            "client_id": "interactive",
            "sub": "1",
            "auth_time": t["iat"],
            "idp": "local",
            "sid": "9D5E",
            "jti": uuid.uuid4().hex.upper(),
        }

    def client_credentials(iss: str) -> Token:
        return header, {
            **_times(),
            "iss": iss,
            "aud": ["api1", "api2"],
            "scope": ["api1", "api2"],
            "client_id": "m2m",
            "jti": uuid.uuid4().hex.upper(),
        }

    def id_token(iss: str) -> Token:
        t = _times(300)
        return {**header, "typ": "JWT"}, {
            **t,
            "iss": iss,
            "aud": "interactive",
            "sub": "1",
            "sid": "9D5E",
            "auth_time": t["iat"],
            "idp": "local",
            "amr": ["pwd"],
            "nonce": "x",
        }

    def other_api(iss: str) -> Token:
        h, c = client_credentials(iss)
        return h, {**c, "aud": "api2", "scope": "api1 api2"}

    def no_jti(iss: str) -> Token:
        h, c = client_credentials(iss)
        del c["jti"]
        return h, c

    return Shape(
        "duende",
        "https://demo.duendesoftware.com",
        {"PROFILE": "duende", "AUDIENCE": ["api1"]},
        key,
        accepted={"user": user, "client credentials": client_credentials},
        refused={"ID token": id_token, "token for another API": other_api, "no jti": no_jti},
    )


# -- Keycloak ---------------------------------------------------------------------------------------------------
def keycloak() -> Shape:
    key = SigningKey.rsa(kid=b64url(uuid.uuid4().bytes + uuid.uuid4().bytes)[:43], x5c=True)
    header = {"alg": "RS256", "typ": "JWT", "kid": key.kid}

    def user(iss: str) -> Token:
        t = _times(300)
        return header, {
            "exp": t["exp"],
            "iat": t["iat"],
            "auth_time": t["iat"],
            "jti": str(uuid.uuid4()),
            "iss": iss,
            "aud": ["api1", "account"],
            "sub": str(uuid.uuid4()),
            "typ": "Bearer",
            "azp": "web",
            "session_state": str(uuid.uuid4()),
            "acr": "1",
            "allowed-origins": ["http://localhost:5005"],
            "realm_access": {"roles": ["offline_access", "default-roles-demo", "orders.read"]},
            "resource_access": {"api1": {"roles": ["orders.write"]}, "account": {"roles": ["manage-account"]}},
            "scope": "openid profile email api1",
            "sid": str(uuid.uuid4()),
            "email_verified": True,
            "preferred_username": "alice",
            "name": "Alice Smith",
        }

    def service_account(iss: str) -> Token:
        t = _times(300)
        return header, {
            "exp": t["exp"],
            "iat": t["iat"],
            "jti": str(uuid.uuid4()),
            "iss": iss,
            "aud": "api1",
            "sub": str(uuid.uuid4()),
            "typ": "Bearer",
            "azp": "worker",
            "acr": "1",
            "scope": "api1 profile",
            "clientId": "worker",
            "preferred_username": "service-account-worker",
        }

    def id_token(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "typ": "ID", "aud": "web", "at_hash": "NUkdMQ1HjoQ4-eQjkR8T4A", "nonce": "n"}

    def id_token_for_api1_client(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "typ": "ID", "aud": "api1"}  # typ claim alone tells it apart

    def other_api(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "aud": "account"}

    return Shape(
        "keycloak",
        "https://kc.example.com/realms/demo",
        {
            "PROFILE": "keycloak",
            "AUDIENCE": ["api1"],
            "SCOPE_CLAIMS": ["scope", ["realm_access", "roles"], ["resource_access", "api1", "roles"]],
        },
        key,
        accepted={"user": user, "service account": service_account},
        refused={
            "ID token": id_token,
            "ID token with aud api1": id_token_for_api1_client,
            "token for another API": other_api,
        },
    )


# -- Entra ID -------------------------------------------------------------------------------------------------------
ENTRA_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ENTRA_CLIENT = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
ENTRA_V2 = f"https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0"
ENTRA_V1 = f"https://sts.windows.net/{ENTRA_TENANT}/"


def entra() -> Shape:
    key = SigningKey.rsa(kid="tmp", x5c=True, issuer="https://login.microsoftonline.com/{tenantid}/v2.0")
    key.kid = b64url(_cert_sha1(key))  # Entra's kid is the x5t value
    oid = str(uuid.uuid4())

    def delegated_v2(iss: str) -> Token:
        return {"typ": "JWT", "alg": "RS256", "kid": key.kid}, {
            **_times(),
            "aud": ENTRA_CLIENT,
            "iss": iss,
            "aio": "AXQAi/8TAAAA",
            "azp": "7a1c4e1e-client",
            "azpacr": "0",
            "name": "Alice",
            "oid": oid,
            "preferred_username": "alice@contoso.com",
            "rh": "0.AR8A",
            "scp": "access_as_user api1",
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "tid": ENTRA_TENANT,
            "uti": "fqiBqXLPj0eQa82S-IYFAA",
            "ver": "2.0",
        }

    def app_only_v2(iss: str) -> Token:
        return {"typ": "JWT", "alg": "RS256", "kid": key.kid}, {
            **_times(),
            "aud": ENTRA_CLIENT,
            "iss": iss,
            "azp": "daemon-client",
            "azpacr": "1",
            "oid": oid,
            "roles": ["api1", "Orders.Read.All"],
            "sub": oid,
            "tid": ENTRA_TENANT,
            "ver": "2.0",
        }

    def delegated_v1(iss: str) -> Token:
        return {"typ": "JWT", "alg": "RS256", "x5t": key.kid, "kid": key.kid}, {
            **_times(),
            "aud": "api://contoso-orders",
            "iss": ENTRA_V1,
            "appid": "7a1c4e1e-client",
            "appidacr": "0",
            "scp": "api1",
            "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
            "tid": ENTRA_TENANT,
            "oid": oid,
            "upn": "alice@contoso.com",
            "unique_name": "alice@contoso.com",
            "ver": "1.0",
        }

    def id_token_same_app(iss: str) -> Token:
        # Same app registration: aud is the client id, and app roles appear in ID tokens too.
        return {"typ": "JWT", "alg": "RS256", "kid": key.kid}, {
            **_times(),
            "aud": ENTRA_CLIENT,
            "iss": iss,
            "name": "Alice",
            "nonce": "abc",
            "oid": oid,
            "preferred_username": "alice@contoso.com",
            "roles": ["api1"],
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy",
            "tid": ENTRA_TENANT,
            "uti": "x",
            "ver": "2.0",
        }

    def graph_token(iss: str) -> Token:
        h, c = delegated_v2(iss)
        return h, {**c, "aud": "00000003-0000-0000-c000-000000000000", "scp": "User.Read api1"}

    return Shape(
        "entra",
        ENTRA_V2,
        {"PROFILE": "entra", "AUDIENCE": [ENTRA_CLIENT, "api://contoso-orders"], "ALIASES": [ENTRA_V1]},
        key,
        jwk_options={"include_alg": False},
        accepted={"v2 delegated (scp)": delegated_v2, "v2 app-only (roles)": app_only_v2, "v1 (alias)": delegated_v1},
        refused={"ID token of the same app": id_token_same_app, "token for Microsoft Graph": graph_token},
    )


# -- Auth0 -------------------------------------------------------------------------------------------------------------
def auth0() -> Shape:
    key = SigningKey.rsa(kid=b64url(uuid.uuid4().bytes)[:22], x5c=True)
    api = "https://orders.example.com"

    def user(iss: str) -> Token:
        return {"alg": "RS256", "typ": "JWT", "kid": key.kid}, {
            "iss": iss,
            "sub": "auth0|64b7f0c0a1b2c3",
            "aud": [api, f"{iss}userinfo"],
            **_times(86400),
            "scope": "openid profile email",
            "azp": "spa-client-id",
            "permissions": ["read:orders"],
        }

    def client_credentials(iss: str) -> Token:
        return {"alg": "RS256", "typ": "JWT", "kid": key.kid}, {
            "iss": iss,
            "sub": "m2m-client-id@clients",
            "aud": api,
            **_times(86400),
            "gty": "client-credentials",
            "azp": "m2m-client-id",
            "scope": "read:orders",
            "permissions": ["read:orders"],
        }

    def rfc9068_profile(iss: str) -> Token:
        h, c = client_credentials(iss)
        return {**h, "typ": "at+jwt"}, {**c, "client_id": "m2m-client-id", "jti": uuid.uuid4().hex}

    def id_token(iss: str) -> Token:
        return {"alg": "RS256", "typ": "JWT", "kid": key.kid}, {
            "iss": iss,
            "sub": "auth0|64b7f0c0a1b2c3",
            "aud": "spa-client-id",
            **_times(36000),
            "nonce": "abc",
            "sid": "x",
            "name": "alice",
            "email": "alice@example.com",
        }

    def other_api(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "aud": ["https://billing.example.com", f"{iss}userinfo"]}

    return Shape(
        "auth0",
        "https://dev-orders.eu.auth0.com/",
        {"PROFILE": "auth0", "AUDIENCE": [api]},
        key,
        scope="read:orders",
        accepted={
            "user (permissions)": user,
            "client credentials": client_credentials,
            "RFC 9068 profile": rfc9068_profile,
        },
        refused={"ID token": id_token, "token for another API": other_api},
    )


# -- Okta --------------------------------------------------------------------------------------------------------------
def okta() -> Shape:
    key = SigningKey.rsa(kid=b64url(uuid.uuid4().bytes + uuid.uuid4().bytes)[:43], x5c=False)
    header = {"kid": key.kid, "alg": "RS256"}

    def user(iss: str) -> Token:
        t = _times()
        return header, {
            "ver": 1,
            "jti": "AT.Ya3o2yrWcB1Gd",
            "iss": iss,
            "aud": "api://default",
            "iat": t["iat"],
            "exp": t["exp"],
            "cid": "0oa1spa",
            "uid": "00u1alice",
            "scp": ["openid", "api1"],
            "auth_time": t["iat"],
            "sub": "alice@example.com",
        }

    def client_credentials(iss: str) -> Token:
        t = _times()
        return header, {
            "ver": 1,
            "jti": "AT.cc",
            "iss": iss,
            "aud": "api://default",
            "iat": t["iat"],
            "exp": t["exp"],
            "cid": "0oa2m2m",
            "scp": ["api1"],
            "sub": "0oa2m2m",
        }

    def id_token(iss: str) -> Token:
        t = _times()
        return header, {
            "sub": "00u1alice",
            "ver": 1,
            "iss": iss,
            "aud": "0oa1spa",
            "iat": t["iat"],
            "exp": t["exp"],
            "jti": "ID.x",
            "amr": ["pwd"],
            "idp": "00o1",
            "nonce": "n",
            "auth_time": t["iat"],
            "at_hash": "abc",
        }

    def other_api(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "aud": "api://billing"}

    return Shape(
        "okta",
        "https://dev-123456.okta.com/oauth2/default",
        {"PROFILE": "okta", "AUDIENCE": ["api://default"]},
        key,
        accepted={"user": user, "client credentials": client_credentials},
        refused={"ID token": id_token, "token for another API": other_api},
    )


# -- Amazon Cognito ----------------------------------------------------------------------------------------------------
COGNITO_CLIENT = "1example23456789abcdefghij"


def cognito() -> Shape:
    key = SigningKey.rsa(kid=base64.b64encode(uuid.uuid4().bytes * 2).decode(), x5c=False)
    header = {"kid": key.kid, "alg": "RS256"}

    def user(iss: str) -> Token:
        t = _times()
        return header, {
            "sub": str(uuid.uuid4()),
            "cognito:groups": ["admins"],
            "iss": iss,
            "version": 2,
            "client_id": COGNITO_CLIENT,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin openid orders/read",
            "auth_time": t["iat"],
            "exp": t["exp"],
            "iat": t["iat"],
            "jti": str(uuid.uuid4()),
            "username": "alice",
        }

    def client_credentials(iss: str) -> Token:
        t = _times()
        return header, {
            "sub": COGNITO_CLIENT,
            "token_use": "access",
            "scope": "orders/read orders/write",
            "auth_time": t["iat"],
            "iss": iss,
            "exp": t["exp"],
            "iat": t["iat"],
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": COGNITO_CLIENT,
        }

    def id_token(iss: str) -> Token:
        t = _times()
        return header, {
            "sub": str(uuid.uuid4()),
            "aud": COGNITO_CLIENT,
            "email_verified": True,
            "token_use": "id",
            "auth_time": t["iat"],
            "iss": iss,
            "cognito:username": "alice",
            "exp": t["exp"],
            "iat": t["iat"],
            "email": "alice@example.com",
            "at_hash": "abc",
        }

    def id_token_with_client_id(iss: str) -> Token:
        h, c = id_token(iss)
        return h, {**c, "client_id": COGNITO_CLIENT, "scope": "orders/read"}  # token_use alone tells it apart

    def other_client(iss: str) -> Token:
        h, c = user(iss)
        return h, {**c, "client_id": "another-app-client"}

    return Shape(
        "cognito",
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
        {"PROFILE": "cognito", "AUDIENCE": [COGNITO_CLIENT]},
        key,
        scope="orders/read",
        accepted={"user": user, "client credentials": client_credentials},
        refused={
            "ID token": id_token,
            "ID token with client_id": id_token_with_client_id,
            "another app client's token": other_client,
        },
    )


# -- the project's dev identity server (django-oauth-toolkit, RFC 9068) ------------------------------------------------
def dev() -> Shape:
    key = SigningKey.rsa(kid="tmp", x5c=True)
    key.kid = _rfc7638(key)
    header = {"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}

    def client_credentials(iss: str) -> Token:
        t = _times(100)
        return header, {
            "iss": iss,
            "sub": "client",
            "aud": "api1",
            "client_id": "client",
            "scope": "api1",
            "iat": t["iat"],
            "nbf": t["nbf"],
            "exp": t["exp"],
            "jti": uuid.uuid4().hex,
        }

    def user(iss: str) -> Token:
        h, c = client_credentials(iss)
        return h, {
            **c,
            "sub": "2",
            "client_id": "spa",
            "scope": "openid profile email api1",
            "auth_time": c["iat"] - 60,
        }

    def id_token(iss: str) -> Token:
        t = _times(300)
        return {"alg": "RS256", "kid": key.kid}, {
            "aud": "spa",
            "iat": t["iat"],
            "at_hash": "x",
            "sub": "2",
            "iss": iss,
            "exp": t["exp"],
            "auth_time": t["iat"],
            "jti": "j",
        }

    def other_api(iss: str) -> Token:
        h, c = client_credentials(iss)
        return h, {**c, "aud": "api2"}

    return Shape(
        "dev",
        None,
        {"PROFILE": "dev", "AUDIENCE": ["api1"]},
        key,
        accepted={"client credentials": client_credentials, "user (authorization code)": user},
        refused={"ID token": id_token, "token for another API": other_api},
    )


SHAPES: dict[str, Callable[[], Shape]] = {
    "identityserver4-2": identityserver4_2,
    "identityserver4": identityserver4,
    "duende": duende,
    "keycloak": keycloak,
    "entra": entra,
    "auth0": auth0,
    "okta": okta,
    "cognito": cognito,
    "dev": dev,
}
