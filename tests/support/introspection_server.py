"""A real RFC 7662 introspection endpoint on a loopback port, with client authentication."""

from __future__ import annotations

import base64
import json
import socket
import threading
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.support.loopback import LoopbackHandler, LoopbackServer

PATH = "/connect/introspect"


class _Handler(LoopbackHandler):
    def do_POST(self) -> None:  # noqa: N802
        owner: IntrospectionServer = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("ascii")).items()}
        with owner.lock:
            owner.calls += 1
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
        return self._send(200, owner.tokens.get(token, {"active": False}))

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
        self.lock = threading.Lock()
        super().__init__(port)

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
