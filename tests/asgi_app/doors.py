"""The endpoints of the test project that answer the same ``/me``, and how to read their answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Path -> front door. Every one needs a token with scope ``api1``.
DOORS = {
    "/me": "drf",
    "/adrf/me": "adrf",
    "/ninja/me": "ninja-sync",
    "/ninja/ame": "ninja-async",
    "/ninja/me-async-auth": "ninja-sync-operation-async-auth",
    "/ninja/ame-sync-auth": "ninja-async-operation-sync-auth",
    "/plain/sync": "decorator-sync",
    "/plain/async": "decorator-async",
    "/plain/class-sync": "mixin-sync",
    "/plain/class-async": "mixin-async",
}
ASYNC_DOORS = ["/adrf/me", "/ninja/ame", "/plain/async", "/plain/class-async"]

_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Seen:
    """What a client can tell of an answer: status, challenge error and scope, Retry-After given."""

    status: int
    scheme: str | None
    error: str | None
    scope: str | None
    retry_after: bool

    @classmethod
    def of(cls, status: int, headers: Mapping[str, str]) -> Seen:
        challenge = headers.get("WWW-Authenticate")
        params = dict(_PARAM.findall(challenge or ""))
        return cls(
            status,
            challenge.split(" ", 1)[0] if challenge else None,
            params.get("error"),
            params.get("scope"),
            bool(headers.get("Retry-After")),
        )
