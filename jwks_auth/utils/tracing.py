"""OpenTelemetry spans around the calls to the provider, when the API is installed.

Without ``opentelemetry-api`` the decorator returns the function unchanged.
A span carries the HTTP method, the URL without its query (credentials
never travel in a fetched URL's path) and, on failure, the error type;
never a token, a client secret or a response body.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

P = ParamSpec("P")
R = TypeVar("R")


def _tracer() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("jwks_auth")


def _url_without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def traced_fetch(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``fetch_json(url, *, data=...)`` in a client span ``jwks_auth.keys.http``."""
    tracer = _tracer()
    if tracer is None:
        return function

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        url = str(args[0]) if args else str(kwargs.get("url", ""))
        data = kwargs.get("data")
        method = "POST" if isinstance(data, Mapping) else "GET"
        from opentelemetry.trace import SpanKind, Status, StatusCode

        with tracer.start_as_current_span(
            "jwks_auth.keys.http",
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
            attributes={"http.request.method": method, "url.full": _url_without_query(url)},
        ) as span:
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    return wrapper
