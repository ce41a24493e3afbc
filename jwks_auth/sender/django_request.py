"""``RequestDetails`` from a Django ``HttpRequest``."""

from __future__ import annotations

from django.http import HttpRequest

from jwks_auth.sender.request_details import RequestDetails

#: Headers the checks read (others are not copied).
_READ = ("HTTP_DPOP", "HTTP_FORWARDED", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def _meta_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def request_facts(request: HttpRequest, extra_headers: tuple[str, ...] = ()) -> RequestDetails:
    """The facts of ``request``; repeated header lines arrive joined by ``,`` (WSGI), and are split for DPoP.

    A DPoP proof is a compact JWS, which never holds a comma, so a joined
    ``DPoP`` value shows that the header was sent more than once.
    """
    headers: dict[str, tuple[str, ...]] = {}
    for meta in (*_READ, *(_meta_name(name) for name in extra_headers)):
        value = request.META.get(meta)
        if value is None:
            continue
        name = meta[5:].lower().replace("_", "-")
        headers[name] = tuple(part.strip() for part in value.split(",")) if meta == "HTTP_DPOP" else (value,)
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost: the URL cannot be known, and no htu will match
        host = ""
    return RequestDetails(
        method=request.method or "",
        scheme=request.scheme or "http",
        host=host,
        path=request.path,
        remote_addr=str(request.META.get("REMOTE_ADDR", "")),
        headers=headers,
    )
