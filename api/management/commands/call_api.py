"""The sample's console client: client-credentials token from the issuer, then GET <api>/me.

    python manage.py call_api [--issuer URL] [--client-id client] [--client-secret secret]
                              [--scope api1] [--api-url http://localhost:5002] [--dpop]
                              [--account DE-1] [--authorization-details JSON] [--revoke]

The defaults follow the ports ``make run`` was given: ``--issuer`` is
``OIDC_ISSUER``, else ``http://localhost:$IDP_PORT`` (5000); ``--api-url`` is
``API_URL``, else ``http://localhost:$API_PORT`` (5002). ``make call-api
IDP_PORT=5600 API_PORT=5603`` passes them. When a server cannot be reached,
the error names the URL tried and where it came from.

Prints the token's decoded header and payload (never the token itself), the
API's status and the claims it returned. Any failure exits non-zero. With
``--dpop`` it makes a fresh EC P-256 key, sends a DPoP proof (RFC 9449) with
the token request and with ``GET /me`` (``Authorization: DPoP``), and prints
the key's RFC 7638 thumbprint, which the token's ``cnf.jkt`` must equal.
With ``--account`` it asks the token endpoint for an RFC 9396
``account_information`` detail to read that account (or the details of
``--authorization-details``) and calls ``GET <api>/accounts/<account>``.
With ``--revoke`` it shows revocation pushed by the issuer (Shared Signals):
after the first call it asks the dev idp to end the client's sessions
(``POST <issuer>/connect/revoke-sessions``, which pushes CAEP
``session-revoked`` to the API) and calls the API again with the same token,
which must now be refused with ``401 invalid_token``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ProofKey:
    """An EC P-256 key that signs DPoP proofs; it never leaves this process."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    @property
    def thumbprint(self) -> str:
        """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
        return _b64url(hashlib.sha256(json.dumps(self.jwk, sort_keys=True, separators=(",", ":")).encode()).digest())

    def proof(self, method: str, url: str, token: str | None = None) -> str:
        """A compact ES256 JWS with typ dpop+jwt for one request (ath when a token goes with it)."""
        claims: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "htm": method,
            "htu": url.split("?")[0],
            "iat": int(time.time()),
        }
        if token is not None:
            claims["ath"] = _b64url(hashlib.sha256(token.encode("ascii")).digest())
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk})


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise CommandError(
            f"{what}: HTTP {response.status_code}, expected JSON but got "
            f"{response.headers.get('Content-Type', 'no content type')}"
        ) from None


def _default_issuer() -> tuple[str, str]:
    """The issuer to ask for a token, and where that came from."""
    if os.environ.get("OIDC_ISSUER"):
        return os.environ["OIDC_ISSUER"], "OIDC_ISSUER"
    port = os.environ.get("IDP_PORT") or "5000"
    return f"http://localhost:{port}", f"IDP_PORT={port}" if os.environ.get("IDP_PORT") else "IDP_PORT unset: 5000"


def _default_api_url() -> tuple[str, str]:
    """The API to call, and where that came from."""
    if os.environ.get("API_URL"):
        return os.environ["API_URL"], "API_URL"
    port = os.environ.get("API_PORT") or "5002"
    return f"http://localhost:{port}", f"API_PORT={port}" if os.environ.get("API_PORT") else "API_PORT unset: 5002"


def _unreachable(what: str, url: str, source: str, port_variable: str, exc: requests.RequestException) -> CommandError:
    """What was tried, why it failed in a few words, and how to point the client elsewhere."""
    if isinstance(exc, requests.ConnectionError):
        why = "nothing answers there (connection refused or no route)"
    elif isinstance(exc, requests.Timeout):
        why = "it did not answer in time"
    else:
        why = type(exc).__name__
    return CommandError(
        f"Could not reach {what} at {url} (from {source}): {why}. Is `make run` running? With other ports, "
        f"`make call-api IDP_PORT=... API_PORT=...`, or set {port_variable} (or pass --issuer / --api-url)."
    )


def _details(options: dict[str, Any]) -> str | None:
    """The ``authorization_details`` form field: ``--authorization-details``, or reading ``--account``."""
    if options["authorization_details"] is not None:
        try:
            json.loads(options["authorization_details"])
        except ValueError:
            raise CommandError("--authorization-details must be JSON (an array of objects)") from None
        return str(options["authorization_details"])
    if options["account"] is not None:
        return json.dumps([{"type": "account_information", "actions": ["read"], "identifier": options["account"]}])
    return None


class Command(BaseCommand):
    help = "Get an access token with client credentials and call the API's /me with it."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", default=None, help=f"default: {_default_issuer()[0]} ({_default_issuer()[1]})")
        parser.add_argument("--client-id", default="client")
        parser.add_argument("--client-secret", default="secret")
        parser.add_argument("--scope", default="api1")
        parser.add_argument(
            "--api-url", default=None, help=f"default: {_default_api_url()[0]} ({_default_api_url()[1]})"
        )
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
        parser.add_argument("--dpop", action="store_true", help="sender-constrained: DPoP proofs from a fresh EC key")
        parser.add_argument(
            "--account",
            help="call GET <api>/accounts/<ACCOUNT> instead of /me, asking for an RFC 9396 account_information "
            "detail to read it (unless --authorization-details says otherwise)",
        )
        parser.add_argument(
            "--authorization-details", help="RFC 9396 authorization_details (a JSON array) for the token request"
        )
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="then have the dev idp revoke the client's sessions (Shared Signals session-revoked) and show the "
            "API refusing the same token",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        issuer, issuer_from = (options["issuer"], "--issuer") if options["issuer"] else _default_issuer()
        api_url, api_from = (options["api_url"], "--api-url") if options["api_url"] else _default_api_url()
        issuer, api_url = issuer.rstrip("/"), api_url.rstrip("/")
        timeout = options["timeout"]
        self.proof_key = ProofKey() if options["dpop"] else None
        if self.proof_key is not None:
            self.stdout.write(f"DPoP key thumbprint (RFC 7638): {self.proof_key.thumbprint}")
        with requests.Session() as http:
            try:
                token, payload = self.get_token(http, issuer, options, timeout)
            except requests.RequestException as exc:
                raise _unreachable("the identity server", issuer, issuer_from, "IDP_PORT", exc) from None
            path = "/me" if options["account"] is None else f"/accounts/{options['account']}"
            try:
                self.call_me(http, api_url, token, payload, timeout, path)
            except requests.RequestException as exc:
                raise _unreachable("the API", api_url, api_from, "API_PORT", exc) from None
            if options["revoke"]:
                try:
                    self.revoke_sessions(http, issuer, options, timeout)
                except requests.RequestException as exc:
                    raise _unreachable("the identity server", issuer, issuer_from, "IDP_PORT", exc) from None
                try:
                    self.call_revoked(http, api_url, token, timeout, path)
                except requests.RequestException as exc:
                    raise _unreachable("the API", api_url, api_from, "API_PORT", exc) from None

    def revoke_sessions(self, http: requests.Session, issuer: str, options: dict[str, Any], timeout: float) -> None:
        """Ask the dev idp to end this client's sessions: it pushes CAEP session-revoked to the API."""
        url = f"{issuer}/connect/revoke-sessions"
        response = http.post(url, auth=(options["client_id"], options["client_secret"]), timeout=timeout)
        if response.status_code != 204:
            raise CommandError(
                f"Revoking the sessions at {url} failed: HTTP {response.status_code} (the dev idp's log says why)"
            )
        self.stdout.write(
            f"POST {url} -> HTTP 204: the idp pushed a session-revoked event for sub {options['client_id']} to the API"
        )

    def call_revoked(self, http: requests.Session, api_url: str, token: str, timeout: float, path: str) -> None:
        """The same token again: the API must now refuse it (401 invalid_token)."""
        url = f"{api_url}{path}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if self.proof_key is not None:
            headers.update(Authorization=f"DPoP {token}", DPoP=self.proof_key.proof("GET", url, token))
        response = http.get(url, headers=headers, timeout=timeout)
        challenge = response.headers.get("WWW-Authenticate", "")
        self.stdout.write(f"GET {url} with the same token -> HTTP {response.status_code}")
        if response.status_code != 401 or 'error="invalid_token"' not in challenge:
            raise CommandError(
                f"The API did not refuse the revoked token: HTTP {response.status_code}"
                + (f", WWW-Authenticate: {challenge}" if challenge else "")
            )
        self.stdout.write(f"WWW-Authenticate: {challenge}")
        self.stdout.write(self.style.SUCCESS("The API refuses the token whose session was revoked."))

    def get_token(
        self, http: requests.Session, issuer: str, options: dict[str, Any], timeout: float
    ) -> tuple[str, dict[str, Any]]:
        """Discover the token endpoint, request a token and print its decoded header and payload."""
        discovery_url = f"{issuer}/.well-known/openid-configuration"
        response = http.get(discovery_url, timeout=timeout)
        if response.status_code != 200:
            raise CommandError(f"Discovery {discovery_url} failed: HTTP {response.status_code}")
        token_endpoint = _json(response, "Discovery").get("token_endpoint")
        if not token_endpoint:
            raise CommandError(f"Discovery {discovery_url} has no token_endpoint")

        headers = {} if self.proof_key is None else {"DPoP": self.proof_key.proof("POST", token_endpoint)}
        data = {"grant_type": "client_credentials", "scope": options["scope"]}
        details = _details(options)
        if details is not None:
            data["authorization_details"] = details
        response = http.post(
            token_endpoint,
            data=data,
            auth=(options["client_id"], options["client_secret"]),  # HTTP Basic (client_secret_basic)
            headers=headers,
            timeout=timeout,
        )
        body = _json(response, "Token request")
        if response.status_code != 200 or "access_token" not in body:
            detail = " ".join(str(body.get(key, "")) for key in ("error", "error_description")).strip()
            raise CommandError(
                f"Token request to {token_endpoint} failed: HTTP {response.status_code} {detail}".rstrip()
            )
        token = body["access_token"]
        try:
            header = jwt.get_unverified_header(token)
            payload = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise CommandError(f"The access token is not a JWT: {exc}") from None
        self.stdout.write(
            f"Got a {body.get('token_type', 'Bearer')} token from {token_endpoint}, expires in "
            f"{body.get('expires_in')} s"
        )
        self.stdout.write("Token header:\n" + json.dumps(header, indent=2))
        self.stdout.write("Token payload:\n" + json.dumps(payload, indent=2))
        if self.proof_key is not None:
            bound = (payload.get("cnf") or {}).get("jkt") if isinstance(payload.get("cnf"), dict) else None
            if body.get("token_type") != "DPoP" or bound != self.proof_key.thumbprint:
                raise CommandError("The issuer did not bind the token to the DPoP key (no DPoP support?)")
            self.stdout.write(self.style.SUCCESS("The token is bound to the DPoP key (cnf.jkt)."))
        return token, payload

    def call_me(
        self,
        http: requests.Session,
        api_url: str,
        token: str,
        payload: dict[str, Any],
        timeout: float,
        path: str = "/me",
    ) -> None:
        """GET <api><path> with the token (and a proof, with --dpop) and print what the API answered."""
        url = f"{api_url}{path}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if self.proof_key is not None:
            headers.update(Authorization=f"DPoP {token}", DPoP=self.proof_key.proof("GET", url, token))
        response = http.get(url, headers=headers, timeout=timeout)
        self.stdout.write(f"GET {url} -> HTTP {response.status_code}")
        if response.status_code != 200:
            challenge = response.headers.get("WWW-Authenticate")
            raise CommandError(
                f"The API refused the token: HTTP {response.status_code}"
                + (f", WWW-Authenticate: {challenge}" if challenge else "")
            )
        claims = _json(response, f"GET {url}")
        if path != "/me":
            self.stdout.write("The API answered:\n" + json.dumps(claims, indent=2))
            return
        self.stdout.write("Claims returned by the API:\n" + json.dumps(claims, indent=2))
        if claims == payload:
            self.stdout.write(self.style.SUCCESS("The API's claims match the token payload."))
        else:
            self.stdout.write(self.style.WARNING("The API's claims differ from the token payload."))
