"""``RequestDetails`` from a Django ``HttpRequest``."""

from __future__ import annotations

import functools
from typing import Any

from django.core.signals import setting_changed
from django.http import HttpRequest

from jwks_auth.sender.request_details import RequestDetails

#: Headers the checks read besides ``DPoP`` (others are not copied): (``META`` key, lower-case header name).
_READ = (
    ("HTTP_FORWARDED", "forwarded"),
    ("HTTP_X_FORWARDED_PROTO", "x-forwarded-proto"),
    ("HTTP_X_FORWARDED_HOST", "x-forwarded-host"),
)
#: What ``HttpRequest.get_host()`` reads of a request (with its scheme), and the settings it reads.
_HOST_INPUTS = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "SERVER_NAME", "SERVER_PORT", "HTTP_X_FORWARDED_PORT")
_HOST_SETTINGS = frozenset(
    {"ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT", "SECURE_PROXY_SSL_HEADER"}
)
#: Hosts ``get_host()`` accepted, by what it read; at most this many kept.
HOST_MEMO_SIZE = 256
_accepted_hosts: dict[tuple[object, ...], str] = {}
#: Whether a request class reads its host as HttpRequest does (so its hosts may be kept), by class.
_memo_allowed: dict[type, bool] = {}


@functools.lru_cache(maxsize=64)
def _meta_key(header: str) -> tuple[str, str]:
    """A header's (``META`` key, lower-case name as ``RequestDetails`` keeps it)."""
    meta = "HTTP_" + header.upper().replace("-", "_")
    return meta, meta[5:].lower().replace("_", "-")


def request_facts(request: HttpRequest, extra_headers: tuple[str, ...] = ()) -> RequestDetails:
    """The facts of ``request``; repeated header lines arrive joined by ``,`` (WSGI), and are split for DPoP.

    A DPoP proof is a compact JWS, which never holds a comma, so a joined
    ``DPoP`` value shows that the header was sent more than once.
    """
    meta = request.META
    headers: dict[str, tuple[str, ...]] = {}
    proof = meta.get("HTTP_DPOP")
    if proof is not None:
        headers["dpop"] = tuple(part.strip() for part in proof.split(",")) if "," in proof else (proof.strip(),)
    for key, name in _READ:
        value = meta.get(key)
        if value is not None:
            headers[name] = (value,)
    for header in extra_headers:
        key, name = _meta_key(header)
        value = meta.get(key)
        if value is not None:
            headers[name] = (value,)
    scheme = request.scheme or "http"
    return RequestDetails(
        method=request.method or "",
        scheme=scheme,
        host=_host(request, scheme),
        path=request.path,
        remote_addr=str(meta.get("REMOTE_ADDR", "")),
        headers=headers,
    )


#: Django's own host reading (private, so looked up once; None if a Django version renames it: no memo then).
_RAW_HOST = getattr(HttpRequest, "_get_raw_host", None)


def _host(request: HttpRequest, scheme: str) -> str:
    """``request.get_host()``, ``""`` when Django refuses the host (no ``htu`` will match then).

    Checking a host against ``ALLOWED_HOSTS`` costs more than the rest of a proof's claim checks; its answer
    depends only on a few request headers, the scheme and five settings, so an accepted host is kept by
    those (and forgotten when the settings change). A refused host, and a request class with its own
    ``get_host``, ``_get_raw_host`` or ``get_port``, are asked every time.
    """
    kind = type(request)
    memo = _memo_allowed.get(kind)
    if memo is None:
        # get_host reads _get_raw_host and get_port: a class overriding any of the three is asked every time.
        memo = _memo_allowed[kind] = (
            _RAW_HOST is not None
            and kind.get_host is HttpRequest.get_host
            and getattr(kind, "_get_raw_host", None) is _RAW_HOST
            and kind.get_port is HttpRequest.get_port
        )
    if memo:
        meta = request.META
        inputs = (scheme, *map(meta.get, _HOST_INPUTS))
        host = _accepted_hosts.get(inputs)
        if host is not None:
            return host
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost
        return ""
    if memo:
        if len(_accepted_hosts) >= HOST_MEMO_SIZE:
            _accepted_hosts.clear()  # many hosts (a wildcard in ALLOWED_HOSTS): start again, still bounded
        _accepted_hosts[inputs] = host
    return host


def _forget_hosts(*, setting: str, **kwargs: Any) -> None:
    if setting in _HOST_SETTINGS:
        _accepted_hosts.clear()


setting_changed.connect(_forget_hosts)
