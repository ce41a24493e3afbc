"""A real RFC 7662 introspection endpoint on a loopback port, with client authentication.

Given a ``signer`` (a real key, published in the issuer's JWKS by the test), it answers a request that
accepts ``application/token-introspection+jwt`` with an RFC 9701 signed response; ``jwt_header`` and
``jwt_claims`` change the response's header and claims (``None`` removes a member) to forge or spoil it.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.support.keys import SigningKey
from tests.support.loopback import LoopbackHandler, LoopbackServer
from tests.support.tokens import mint

PATH = "/connect/introspect"
JWT_MEDIA_TYPE = "application/token-introspection+jwt"


class _Handler(LoopbackHandler):
    def do_POST(self) -> None:  # noqa: N802
        owner: IntrospectionServer = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("ascii")).items()}
        with owner.lock:
            owner.calls += 1
            owner.accepts.append(self.headers.get("Accept"))
            owner.seen.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "hint": form.get("token_type_hint"),
                    "query": "?" in self.path,
                    "method": owner._client_method(self.headers.get("Authorization"), form),
                }
            )
            failure, raw = owner.failure, owner.raw_response
            drop = owner.drops > 0
            owner.drops -= 1 if drop else 0
        if drop:  # close without an answer, like a kept-alive connection the server gave up on
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if failure is not None:
            return self._send(failure, {"error": "server_error"})
        if self.path != PATH:
            return self._send(404, {"error": "not found"})
        if owner.seen[-1]["method"] is None:
            return self._send(401, {"error": "invalid_client"})
        if raw is not None:
            return self._send(200, raw)
        token = form.get("token", "")
        answer = owner.tokens.get(token, {"active": False})
        if owner.signer is not None and JWT_MEDIA_TYPE in (self.headers.get("Accept") or ""):
            return self.send_body(200, owner.signed(answer).encode("ascii"), {"Content-Type": owner.jwt_media_type})
        return self._send(200, answer)

    def _send(self, status: int, body: Any) -> None:
        self.send_body(
            status, body if isinstance(body, bytes) else json.dumps(body).encode(), {"Content-Type": "application/json"}
        )


class IntrospectionServer(LoopbackServer):
    """``tokens`` maps token -> introspection response; unknown tokens are ``{"active": false}``."""

    handler = _Handler

    def __init__(self, client_id: str = "api1", client_secret: str = "p@ss:w/rd+%", port: int = 0) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self.seen: list[dict[str, Any]] = []
        self.failure: int | None = None
        self.raw_response: Any = None
        self.drops = 0  # the next N requests get their connection closed without an answer
        self.accepts: list[str | None] = []
        # RFC 9701: who signs, as whom, for whom; None answers plain JSON whatever is asked.
        self.signer: SigningKey | None = None
        self.jwt_issuer: str | None = None
        self.jwt_audience: Any = client_id
        self.jwt_header: dict[str, Any] = {}
        self.jwt_claims: dict[str, Any] = {}
        self.jwt_media_type = JWT_MEDIA_TYPE
        self.lock = threading.Lock()
        super().__init__(port)

    def signed(self, answer: dict[str, Any]) -> str:
        """``answer`` as an RFC 9701 response: signed by ``signer``, spoiled as ``jwt_header``/``jwt_claims`` say."""
        assert self.signer is not None
        header = {"alg": self.signer.alg, "kid": self.signer.kid, "typ": "token-introspection+jwt", **self.jwt_header}
        claims = {
            "iss": self.jwt_issuer,
            "aud": self.jwt_audience,
            "iat": int(time.time()),
            "token_introspection": answer,
            **self.jwt_claims,
        }
        header = {name: value for name, value in header.items() if value is not None}
        claims = {name: value for name, value in claims.items() if value is not None}
        if header.get("alg") == "none":  # unsigned: an empty signature, which no verifier may accept
            return mint(self.signer, claims, header=header, alg="RS256").rsplit(".", 1)[0] + "."
        return mint(self.signer, claims, header=header)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def _client_method(self, authorization: str | None, form: dict[str, str]) -> str | None:
        if authorization and authorization.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(authorization[6:]).decode("ascii").partition(":")
            except ValueError:
                return None
            ok = (unquote(user), unquote(password)) == (self.client_id, self.client_secret)
            return "client_secret_basic" if ok else None
        if (form.get("client_id"), form.get("client_secret")) == (self.client_id, self.client_secret):
            return "client_secret_post"
        return None
