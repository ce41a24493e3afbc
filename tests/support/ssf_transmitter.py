"""A small Shared Signals transmitter of the tests' own: SETs signed with real keys, pushed or polled.

Written from the specifications (RFC 8417, RFC 8935, RFC 8936, SSF 1.0, CAEP
1.0, RISC), not from the receiver: it is the second implementation the
receiver's SET format is checked against. It serves
``/.well-known/ssf-configuration`` and its JWKS on a loopback port, pushes a
SET with ``push`` (``application/secevent+jwt``) and answers RFC 8936 polls
from a queue, remembering what was acknowledged and reported.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import requests

from tests.support.keys import SigningKey
from tests.support.loopback import LoopbackHandler, LoopbackServer
from tests.support.tokens import mint

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
CONFIG_PATH = "/.well-known/ssf-configuration"
JWKS_PATH = "/ssf/jwks"
POLL_PATH = "/ssf/poll"


class _Handler(LoopbackHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        transmitter: SSFTransmitter = self.server.owner
        path = self.path.split("?", 1)[0]
        with transmitter.lock:
            transmitter.hits[path] = transmitter.hits.get(path, 0) + 1
        if path == CONFIG_PATH:
            self._json(200, transmitter.configuration())
        elif path == JWKS_PATH:
            self._json(200, {"keys": [key.public_jwk() for key in transmitter.keys]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        transmitter: SSFTransmitter = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != POLL_PATH:
            self._json(404, {"error": "not found"})
            return
        if transmitter.poll_authorization and self.headers.get("Authorization") != transmitter.poll_authorization:
            self._json(401, {"error": "unauthorized"})
            return
        self._json(200, transmitter.answer_poll(body))

    def _json(self, status: int, document: Any) -> None:
        self.send_body(status, json.dumps(document).encode(), {"Content-Type": "application/json"})


class SSFTransmitter(LoopbackServer):
    """A transmitter on a loopback port; its issuer is its base URL unless given."""

    handler = _Handler

    def __init__(self, key: SigningKey, audience: str = "api1", issuer: str | None = None) -> None:
        self.lock = threading.Lock()
        self.keys = [key]
        self.key = key
        self.audience = audience
        self.hits: dict[str, int] = {}
        self.queue: dict[str, str] = {}  # jti -> SET, awaiting acknowledgement
        self.acknowledged: list[str] = []
        self.reported: dict[str, dict[str, str]] = {}
        self.poll_requests: list[dict[str, Any]] = []
        self.poll_authorization: str | None = None
        #: Members that replace the configuration document's (a hostile or broken transmitter).
        self.configuration_overrides: dict[str, Any] = {}
        super().__init__()
        self.issuer = issuer or self.base_url

    def configuration(self) -> dict[str, Any]:
        """SSF 1.0 7.1 transmitter metadata."""
        return {
            "spec_version": "1_0",
            "issuer": self.issuer,
            "jwks_uri": self.base_url + JWKS_PATH,
            "delivery_methods_supported": [
                "urn:ietf:rfc:8935",
                "urn:ietf:rfc:8936",
            ],
            "configuration_endpoint": self.base_url + "/ssf/stream",
            **self.configuration_overrides,
        }

    @property
    def poll_url(self) -> str:
        return self.base_url + POLL_PATH

    # -- SETs ----------------------------------------------------------------------
    def make_set(
        self,
        event_type: str,
        subject: dict[str, Any],
        *,
        event: dict[str, Any] | None = None,
        event_time: float | None = None,
        key: SigningKey | None = None,
        typ: str | None = "secevent+jwt",
        **claims: Any,
    ) -> str:
        """A SET as SSF 1.0 builds it: ``sub_id`` at the top, one event, ``event_timestamp`` in it."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "sub_id": subject,
            "events": {
                event_type: {"event_timestamp": int(event_time if event_time is not None else now), **(event or {})}
            },
        }
        payload.update(claims)
        signer = key or self.key
        return mint(signer, payload, typ=typ)

    def push(
        self, url: str, token: str, *, content_type: str = "application/secevent+jwt", **headers: str
    ) -> requests.Response:
        """RFC 8935 2.1: POST the SET."""
        return requests.post(
            url,
            data=token.encode("ascii"),
            headers={"Content-Type": content_type, "Accept": "application/json", **headers},
            timeout=10,
        )

    def enqueue(self, token: str) -> str:
        """Queue a SET for the pollers; its jti."""
        jti = json.loads(_b64decode(token.split(".")[1]))["jti"]
        with self.lock:
            self.queue[jti] = token
        return str(jti)

    def answer_poll(self, body: dict[str, Any]) -> dict[str, Any]:
        """RFC 8936 2.4: acknowledge, take errors, return up to maxEvents SETs."""
        with self.lock:
            self.poll_requests.append(body)
            for jti in body.get("ack", []):
                if self.queue.pop(jti, None) is not None:
                    self.acknowledged.append(jti)
            for jti, error in (body.get("setErrs") or {}).items():
                if self.queue.pop(jti, None) is not None:
                    self.reported[jti] = error
            wanted = int(body.get("maxEvents", 10))
            items = list(self.queue.items())[:wanted]
            return {"sets": dict(items), "moreAvailable": len(self.queue) > len(items)}


def _b64decode(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def iss_sub(issuer: str, sub: str) -> dict[str, str]:
    return {"format": "iss_sub", "iss": issuer, "sub": sub}


def session_subject(issuer: str, sub: str, sid: str) -> dict[str, Any]:
    """SSF's complex subject: the user and the session."""
    return {"format": "complex", "user": iss_sub(issuer, sub), "session": {"format": "opaque", "id": sid}}
