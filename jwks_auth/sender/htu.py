"""RFC 3986 normalisation of ``htu`` values and request URLs (RFC 9449 4.3: query and fragment ignored).

Scheme and host are lower-cased, a default port (80, 443) dropped, an empty
path made ``/``, percent-escapes decoded (as Django decodes ``PATH_INFO`` for
routing, so one resource has one form) and dot-segments removed. A trailing
slash is kept: ``/me`` and ``/me/`` are different resources.

Every function here is pure, and a client names the same few URLs in all its
proofs: the results are memoised per process (``functools.lru_cache``,
``MEMO_SIZE`` entries each).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)", re.ASCII)
MAX_URL_LENGTH = 4096
MEMO_SIZE = 512


def remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


@functools.lru_cache(maxsize=MEMO_SIZE)
def origin(scheme: str, host: str) -> str | None:
    """``scheme://host[:port]`` normalised, or ``None`` if it is not an http(s) origin."""
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    name, port = split_host(host.lower())
    if name is None or not _HOST.fullmatch(name):
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{name}"
    return f"{scheme}://{name}:{port}"


def split_host(host: str) -> tuple[str | None, int | None]:
    """``("example.com", 8443)`` from ``example.com:8443``; ``(None, None)`` when malformed."""
    name, sep, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not sep:
        return host, None
    if not port.isdigit() or len(port) > 5 or not 0 < int(port) < 65536:
        return None, None
    return name, int(port)


def normalise_url(url: object) -> str | None:
    """The normalised form of an absolute http(s) URL without query and fragment; ``None`` if unusable."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        return None
    return _normalised_url(url)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _normalised_url(url: str) -> str | None:
    if any(c in url for c in " \t\r\n\\"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None
    base = origin(parts.scheme, parts.netloc)
    if base is None:
        return None
    return base + normalise_path(parts.path)


@functools.lru_cache(maxsize=MEMO_SIZE)
def normalise_path(path: str) -> str:
    """A request path (decoded or not) in the one form compared."""
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        decoded = path
    return remove_dot_segments(decoded or "/")
