"""The HTTP floor: a bare WSGI app under the same gunicorn setup, no Django.

`GET /` answers like the API's, `GET /me` answers a fixed claims document
without looking at any token. What gunicorn, the kernel and wrk cost per
request on their own is the least any Django view can cost here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_ROOT = b'"Hello"'
_ME = b'{"sub":"88421113","note":"static body, no token checked"}'


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = _ME if environ.get("PATH_INFO") == "/me" else _ROOT
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi_application(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """The same floor for ASGI servers (uvicorn)."""
    if scope["type"] != "http":
        return
    body = _ME if scope.get("path") == "/me" else _ROOT
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
