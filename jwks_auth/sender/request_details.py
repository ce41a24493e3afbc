"""What the DPoP and certificate checks need to know about a request, from any framework."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestDetails:
    """One HTTP request as the proxy-facing server saw it.

    ``headers`` maps lower-case names to every value received (a header sent
    twice has two); ``scheme`` and ``host`` are what this server itself saw
    (after Django's own ``SECURE_PROXY_SSL_HEADER`` / ``USE_X_FORWARDED_HOST``,
    if set); ``path`` is the full path without the query string.
    """

    method: str
    scheme: str
    host: str
    path: str
    remote_addr: str
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def header(self, name: str) -> tuple[str, ...]:
        return self.headers.get(name.lower(), ())
