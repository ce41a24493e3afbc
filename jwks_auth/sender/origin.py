"""The URL a client used for a request, for comparison with a proof's ``htu``.

In order: the configured ``PROXY["PUBLIC_ORIGINS"]`` (each may carry a path prefix a
proxy strips); else the forwarded headers named in ``PROXY["FORWARDED_HEADERS"]``
(``X-Forwarded-Proto`` and ``X-Forwarded-Host`` by default, or ``Forwarded``
of RFC 7239 alone), believed only when the request came from one of
``PROXY["ADDRESSES"]``; else the scheme and host this server saw. Values are
taken from the last hop, the one the trusted proxy added.

Only the named headers count: a proxy passes on the headers it does not set,
so a client's own ``Forwarded: host=evil.example`` behind a proxy that sets
``X-Forwarded-*`` would otherwise choose the URL its proof is checked against.
"""

from __future__ import annotations

import re

from jwks_auth.sender.htu import normalise_path, normalise_url, origin
from jwks_auth.sender.request_details import RequestDetails
from jwks_auth.sender.settings import DPoPSettings

_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,"]*)\s*')


def _last(values: tuple[str, ...]) -> str | None:
    joined = ",".join(values)
    if not joined.strip():
        return None
    return joined.rsplit(",", 1)[-1].strip() or None


def _forwarded_last_hop(values: tuple[str, ...]) -> dict[str, str]:
    """The parameters of the last element of ``Forwarded``; empty when malformed."""
    element = _last(values)
    if element is None:
        return {}
    found: dict[str, str] = {}
    for pair in element.split(";"):
        match = _PAIR.fullmatch(pair)
        if match is None:
            return {}
        value = match.group(2)
        found[match.group(1).lower()] = value[1:-1] if value.startswith('"') else value
    return found


def _forwarded_origin(facts: RequestDetails, believed: frozenset[str]) -> str | None:
    """The origin the trusted proxy reports; ``""`` when it reports nothing, ``None`` when it is malformed.

    ``believed``: the lower-case names of the headers the proxy sets (``PROXY["FORWARDED_HEADERS"]``).
    """
    scheme, host = facts.scheme, facts.host
    if "forwarded" in believed:
        forwarded = facts.header("forwarded")
        if not forwarded:
            return ""
        params = _forwarded_last_hop(forwarded)
        if not params:
            return None
        scheme, host = params.get("proto", scheme), params.get("host", host)
    else:
        proto = _last(facts.header("x-forwarded-proto")) if "x-forwarded-proto" in believed else None
        fwd_host = _last(facts.header("x-forwarded-host")) if "x-forwarded-host" in believed else None
        if proto is None and fwd_host is None:
            return ""
        scheme, host = proto or scheme, fwd_host or host
    return origin(scheme, host)


def expected_urls(facts: RequestDetails, settings: DPoPSettings) -> tuple[str, ...]:
    """The normalised URLs (without query) a proof for this request may name; empty when none can be known."""
    path = normalise_path(facts.path)
    if settings.public_origins:
        urls = (normalise_url(base + path) for base in settings.public_origins)
        return tuple(url for url in urls if url is not None)
    base: str | None = ""
    if settings.is_trusted_proxy(facts.remote_addr):
        base = _forwarded_origin(facts, settings.forwarded_headers)
        if base is None:
            return ()
    if not base:
        base = origin(facts.scheme, facts.host)
    return () if base is None else (base + path,)
