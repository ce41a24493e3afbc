"""The dev identity server as a real process: discovery, JWKS, tokens, login, userinfo, logout."""

from __future__ import annotations

import base64
import hashlib
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwcrypto import jwk

from tests.project.e2e.helpers import TIMEOUT, client_credentials_token, exchange_code, pkce_pair, query, verify
from tests.project.stack import PYTHON, REPO, Server, base_env, manage, start_idp

pytestmark = pytest.mark.slow

API_URL = "http://localhost:5002"  # registered with the browser client; nothing listens there
CALLBACK = f"{API_URL}/client/callback.html"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory, signing_certs: Path) -> Iterator[Server]:
    with start_idp(tmp_path_factory.mktemp("idp"), api_urls=[API_URL], certs_dir=signing_certs) as server:
        yield server


@pytest.fixture(scope="module")
def certificate(signing_certs: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((signing_certs / "signing-cert.pem").read_bytes())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- discovery and JWKS ------------------------------------------------------


def test_discovery_document(idp: Server) -> None:
    response = requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    doc = response.json()
    assert doc["issuer"] == idp.url
    assert doc["jwks_uri"] == f"{idp.url}/.well-known/openid-configuration/jwks"
    for key, path in [
        ("authorization_endpoint", "/connect/authorize"),
        ("token_endpoint", "/connect/token"),
        ("userinfo_endpoint", "/connect/userinfo"),
        ("end_session_endpoint", "/connect/endsession"),
        ("introspection_endpoint", "/connect/introspect"),
        ("revocation_endpoint", "/connect/revocation"),
    ]:
        assert doc[key] == idp.url + path
    assert {"openid", "profile", "email", "api1"} <= set(doc["scopes_supported"])
    assert {"authorization_code", "client_credentials"} <= set(doc["grant_types_supported"])
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert {"sub", "name", "email", "address", "location"} <= set(doc["claims_supported"])


def test_jwks_publishes_the_certificate_key(idp: Server, signing_certs: Path, certificate: x509.Certificate) -> None:
    response = requests.get(f"{idp.url}/.well-known/openid-configuration/jwks", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "use", "kid", "alg", "n", "e", "x5t", "x5c"}
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")

    der = certificate.public_bytes(Encoding.DER)
    assert key["x5c"] == [base64.b64encode(der).decode()]
    assert key["x5t"] == b64url(hashlib.sha1(der).digest())
    numbers = certificate.public_key().public_numbers()
    assert int.from_bytes(base64.urlsafe_b64decode(key["n"] + "=="), "big") == numbers.n
    assert int.from_bytes(base64.urlsafe_b64decode(key["e"] + "=="), "big") == numbers.e
    # DOT's ID token kid: the RFC 7638 thumbprint jwcrypto computes for the signing key.
    public_pem = certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert key["kid"] == jwk.JWK.from_pem(public_pem).thumbprint()


def test_cors_for_the_token_endpoint(idp: Server) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = requests.options(f"{idp.url}/connect/token", headers={"Origin": API_URL, **preflight}, timeout=TIMEOUT)
    assert allowed.headers.get("Access-Control-Allow-Origin") == API_URL
    other = requests.options(
        f"{idp.url}/connect/token", headers={"Origin": "http://evil.example", **preflight}, timeout=TIMEOUT
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    jwks = requests.get(
        f"{idp.url}/.well-known/openid-configuration/jwks", headers={"Origin": API_URL}, timeout=TIMEOUT
    )
    assert jwks.headers.get("Access-Control-Allow-Origin") == API_URL


# --- client credentials ------------------------------------------------------


def test_client_credentials_token_is_an_rfc9068_jwt(idp: Server) -> None:
    response = client_credentials_token(idp.url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 300, "api1")
    assert "refresh_token" not in body

    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": header["kid"]}
    claims = verify(token, idp.url, audience="api1")
    assert set(claims) == {"iss", "sub", "aud", "client_id", "scope", "iat", "nbf", "exp", "jti"}
    assert claims["iss"] == idp.url
    assert claims["sub"] == claims["client_id"] == "client"  # RFC 9068: no user, so sub is the client
    assert claims["aud"] == "api1"
    assert claims["scope"] == "api1"
    assert claims["iat"] == claims["nbf"] and claims["exp"] - claims["iat"] == 300
    assert abs(claims["iat"] - time.time()) < 60
    assert client_credentials_token(idp.url).json()["access_token"] != token  # fresh jti each time


def test_wrong_secret_is_invalid_client(idp: Server) -> None:
    response = client_credentials_token(idp.url, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_may_only_ask_for_its_scopes(idp: Server) -> None:
    response = client_credentials_token(idp.url, scope="api1 openid")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_seeding_again_keeps_the_secret_working(idp: Server) -> None:
    manage("idp.settings", idp.env, "seed_idp")
    assert client_credentials_token(idp.url).status_code == 200


# --- browser client: login, code + PKCE, userinfo, logout -------------------


def _authorize_params(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "client_id": "spa",
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid profile email api1",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def _login(http: requests.Session, login_url: str, username: str, password: str) -> requests.Response:
    http.get(login_url, timeout=TIMEOUT)
    return http.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": http.cookies["idp_csrftoken"],
            "next": query(login_url).get("next", ""),
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def test_code_flow_with_pkce_userinfo_and_logout(idp: Server) -> None:
    verifier, challenge = pkce_pair()
    http = requests.Session()
    response = http.get(
        f"{idp.url}/connect/authorize", params=_authorize_params(challenge), allow_redirects=False, timeout=TIMEOUT
    )
    assert response.status_code == 302
    login_url = urljoin(idp.url, response.headers["Location"])
    assert login_url.startswith(f"{idp.url}/account/login/?next=")

    wrong = _login(http, login_url, "bob", "not-bob")
    assert wrong.status_code == 200 and "Invalid username or password" in wrong.text

    response = _login(http, login_url, "bob", "bob")
    assert response.status_code == 302
    response = http.get(urljoin(idp.url, response.headers["Location"]), allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302, response.text  # no consent page for the first-party client
    assert response.headers["Location"].startswith(CALLBACK + "?")
    params = query(response.headers["Location"])
    assert params["state"] == "state-123"

    response = exchange_code(idp.url, params["code"], CALLBACK, verifier, headers={"Origin": API_URL})
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == API_URL
    tokens = response.json()

    id_header = jwt.get_unverified_header(tokens["id_token"])
    at_header = jwt.get_unverified_header(tokens["access_token"])
    assert id_header["kid"] == at_header["kid"]  # one key, one kid, for ID and access tokens
    id_claims = verify(tokens["id_token"], idp.url, audience="spa")
    assert id_claims["sub"] == "88421113" and id_claims["nonce"] == "nonce-456"
    assert id_claims["name"] == "Bob Smith" and id_claims["email"] == "BobSmith@email.com"
    assert id_claims["location"] == "somewhere" and id_claims["address"]["locality"] == "Heidelberg"

    access = verify(tokens["access_token"], idp.url, audience="api1")
    assert access["sub"] == "88421113" and access["client_id"] == "spa"
    assert access["scope"] == "openid profile email api1"
    assert abs(access["auth_time"] - time.time()) < 60

    userinfo = requests.get(
        f"{idp.url}/connect/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=TIMEOUT
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == "88421113" and userinfo.json()["website"] == "http://bob.com"

    # Refresh tokens stay opaque; a refreshed access token still names the user.
    assert tokens["refresh_token"].count(".") == 0
    refreshed = requests.post(
        f"{idp.url}/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "spa"},
        timeout=TIMEOUT,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert verify(refreshed.json()["access_token"], idp.url, audience="api1")["sub"] == "88421113"
    id_token = refreshed.json().get("id_token", tokens["id_token"])

    response = http.get(
        f"{idp.url}/connect/endsession",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": f"{API_URL}/client/", "state": "bye"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text  # no confirmation prompt
    assert response.headers["Location"] == f"{API_URL}/client/?state=bye"
    assert id_token not in idp.logs()  # the access log redacts id_token_hint
    # Signed out: authorizing again asks for the password.
    response = http.get(
        f"{idp.url}/connect/authorize", params=_authorize_params(challenge), allow_redirects=False, timeout=TIMEOUT
    )
    assert "/account/login/" in response.headers["Location"]


def test_alice_gets_her_own_claims(idp: Server) -> None:
    verifier, challenge = pkce_pair()
    http = requests.Session()
    login_url = urljoin(
        idp.url,
        http.get(
            f"{idp.url}/connect/authorize",
            params=_authorize_params(challenge, scope="openid email"),
            allow_redirects=False,
            timeout=TIMEOUT,
        ).headers["Location"],
    )
    response = http.get(
        urljoin(idp.url, _login(http, login_url, "alice", "alice").headers["Location"]),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    code = query(response.headers["Location"])["code"]
    tokens = exchange_code(idp.url, code, CALLBACK, verifier).json()
    claims = verify(tokens["id_token"], idp.url, audience="spa")
    assert claims["sub"] == "818727" and claims["email"] == "AliceSmith@email.com"
    assert "name" not in claims and "location" not in claims  # no profile scope asked for


def test_pkce_is_required(idp: Server) -> None:
    http = requests.Session()
    assert _login(http, f"{idp.url}/account/login/", "alice", "alice").status_code == 302
    params = _authorize_params("unused")
    del params["code_challenge"], params["code_challenge_method"]
    response = http.get(f"{idp.url}/connect/authorize", params=params, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CALLBACK + "?")
    assert query(response.headers["Location"])["error"] == "invalid_request"


def test_silent_renew(idp: Server) -> None:
    """prompt=none in the hidden iframe: a code with a session, login_required without."""
    silent = f"{API_URL}/client/silent-renew.html"
    params = _authorize_params(pkce_pair()[1], prompt="none", redirect_uri=silent)
    http = requests.Session()
    response = http.get(f"{idp.url}/connect/authorize", params=params, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(silent + "?")
    assert query(response.headers["Location"])["error"] == "login_required"

    assert _login(http, f"{idp.url}/account/login/", "alice", "alice").status_code == 302
    response = http.get(f"{idp.url}/connect/authorize", params=params, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(silent + "?")
    assert set(query(response.headers["Location"])) == {"code", "state"}


def test_home_page_links_discovery(idp: Server) -> None:
    response = requests.get(f"{idp.url}/", timeout=TIMEOUT)
    assert response.status_code == 200
    assert f"{idp.url}/.well-known/openid-configuration" in response.text


# --- create_signing_cert -----------------------------------------------------


def test_create_signing_cert(tmp_path: Path) -> None:
    paths = {"IDP_SIGNING_KEY": str(tmp_path / "k.key"), "IDP_SIGNING_CERT": str(tmp_path / "c.crt")}
    env = base_env("idp.settings", tmp_path, paths)
    manage("idp.settings", env, "create_signing_cert", "--days=30")
    key, cert = Path(paths["IDP_SIGNING_KEY"]), Path(paths["IDP_SIGNING_CERT"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes(), cert.read_bytes()
    parsed = x509.load_pem_x509_certificate(first[1])
    assert parsed.public_key().key_size == 2048
    assert 29 <= (parsed.not_valid_after_utc - parsed.not_valid_before_utc).days <= 31

    manage("idp.settings", env, "create_signing_cert")  # present: kept
    assert (key.read_bytes(), cert.read_bytes()) == first
    manage("idp.settings", env, "create_signing_cert", "--force")
    assert key.read_bytes() != first[0] and stat.S_IMODE(key.stat().st_mode) == 0o600

    cert.unlink()  # a missing certificate is re-created for the existing key
    manage("idp.settings", env, "create_signing_cert")
    assert cert.exists()


def test_idp_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    env = base_env("idp.settings", tmp_path, {"IDP_SIGNING_KEY": str(tmp_path / "missing.key")})
    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--settings=idp.settings"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "make certs" in result.stderr
