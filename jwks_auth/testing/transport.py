"""The fake issuer's HTTP side: a ``requests`` transport adapter that answers in process.

``jwks_auth.keys.http`` mounts it on the session of every fetch whose URL it
claims (``mount_transport``), so discovery and JWKS fetches take the
library's own path (URL checks, deadline, size limit, status, Cache-Control,
JSON parsing) and only the socket is missing.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

#: (status, JSON document or bytes, extra headers)
Answer = tuple[int, Any, Mapping[str, str]]


class IssuerTransport(BaseAdapter):
    """Routes by path to functions that answer; ``down`` refuses every connection, ``delay`` slows each answer."""

    def __init__(self, routes: Mapping[str, Callable[[], Answer]]) -> None:
        super().__init__()
        self.routes = dict(routes)
        self.down = False
        self.delay = 0.0
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        path = urlsplit(request.url or "").path
        with self._lock:
            self.hits[path] += 1
            down, delay = self.down, self.delay
        if delay:
            budget = _budget(timeout)
            time.sleep(min(delay, budget))
            if delay > budget:  # as a socket would: the wait ends at the fetch's timeouts
                raise requests.ReadTimeout(f"jwks_auth.testing: {request.url} answered too slowly")
        if down:
            raise requests.ConnectionError(f"jwks_auth.testing: {request.url} is down")
        route = self.routes.get(path)
        status, document, headers = route() if route else (404, {"error": "not found"}, {})
        return _response(request, status, document, headers)

    def close(self) -> None:
        """Kept: the session that mounted it closes it after each fetch."""


def _budget(timeout: float | tuple[float, float] | tuple[float, None] | None) -> float:
    """The longest the fetch waits: its connect and read timeouts together (the library always sets both)."""
    if timeout is None:
        return float("inf")
    if isinstance(timeout, tuple):
        return sum(part for part in timeout if part is not None)
    return float(timeout)


def _response(
    request: requests.PreparedRequest, status: int, document: Any, headers: Mapping[str, str]
) -> requests.Response:
    body = document if isinstance(document, bytes) else json.dumps(document).encode("utf-8")
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Error"
    response.headers = CaseInsensitiveDict(
        {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}
    )
    response.raw = BytesIO(body)
    response.url = request.url or ""
    response.request = request
    return response


__all__ = ["Answer", "IssuerTransport"]
