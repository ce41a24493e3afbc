"""Strict HTTP fetching of discovery and JWKS documents.

Every request has connect and read timeouts and a hard wall-clock deadline
(their sum) for the whole exchange, status line and headers included, kept by
a watchdog that shuts the connection (``jwks_auth.keys.deadline``); it follows no
redirects, reads at most ``HTTP["MAX_RESPONSE_BYTES"]`` and accepts only a JSON
object. Plain ``http`` is refused except for loopback hosts or when
``ALLOW_INSECURE_HTTP`` is set for development.

``mount_transport`` puts a ``requests`` transport adapter in front of the
network for the URLs under a prefix: ``jwks_auth.testing``'s fake issuer
answers in process through it, and every fetch still takes this module's path.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from jwks_auth.conf.settings import DEFAULTS, jwks_settings
from jwks_auth.exceptions import FetchError
from jwks_auth.keys.deadline import LookupFailed, LookupTimeout, Watchdog, watched_session
from jwks_auth.utils.tracing import traced_fetch

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-store|no-cache)(?:$|[,\s=])", re.IGNORECASE)


#: URL prefix -> adapter mounted on every fetch's session (``mount_transport``); empty outside tests.
_transports: dict[str, BaseAdapter] = {}


def mount_transport(prefix: str, adapter: BaseAdapter) -> BaseAdapter | None:
    """Answer the fetches of URLs under ``prefix`` with ``adapter`` instead of the network (tests).

    Returns the adapter it replaced, if any (the longest prefix wins, as in ``requests``).
    """
    previous = _transports.get(prefix)
    _transports[prefix] = adapter
    return previous


def unmount_transport(prefix: str, adapter: BaseAdapter | None = None) -> None:
    """Undo ``mount_transport`` (of ``adapter`` only, when given)."""
    if adapter is None or _transports.get(prefix) is adapter:
        _transports.pop(prefix, None)


class HTTPStatusError(FetchError):
    """The server answered, with another status than 200 (``status``): not an outage when it is a 404."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    document: dict[str, Any]
    max_age: int | None
    duration: float


@dataclass(frozen=True)
class FetchedBody:
    """A 200 answer's body as it came, with its media type (lower case, parameters left out)."""

    body: bytes
    media_type: str
    max_age: int | None
    duration: float


#: What discovery, key and introspection fetches accept unless told otherwise.
_ACCEPT_JSON = "application/json, application/jwk-set+json"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_insecure: bool | None = None) -> None:
    """Refuse URLs we must not fetch keys from."""
    if allow_insecure is None:
        allow_insecure = bool(jwks_settings.ALLOW_INSECURE_HTTP)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except (ValueError, TypeError):  # "https://[bad", "https://host:port": hostile documents carry these
        raise FetchError("refusing to fetch keys from a URL that cannot be parsed") from None
    if parts.scheme == "https" and hostname:
        return
    if parts.scheme == "http" and hostname and (allow_insecure or is_loopback(hostname)):
        return
    if parts.scheme == "http" and hostname:
        raise FetchError(
            f"refusing to fetch keys from {url!r}: https is required off loopback; "
            "set JWKS_AUTH['ALLOW_INSECURE_HTTP'] = True to allow http:// (development only)"
        )
    raise FetchError(
        f"refusing to fetch keys from {url!r}: https is required (an https:// URL: check ISSUER and JWKS_URI)"
    )


def parse_max_age(cache_control: str | None) -> int | None:
    """Seconds the response may be cached for, 0 for no-cache/no-store, None if unsaid."""
    if not cache_control:
        return None
    if _NO_CACHE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def http_timeouts(value: Any = None) -> tuple[float, float]:
    """``HTTP["TIMEOUT"]`` as (connect, read) seconds; a bad value falls back to the default.

    A fetch is never made without timeouts, whatever the settings say
    (``manage.py check`` reports the bad value as jwks_auth.E006).
    """
    value = jwks_settings.HTTP["TIMEOUT"] if value is None else value
    try:
        pair = (value, value) if isinstance(value, (int, float)) else tuple(value)
        connect, read = (float(pair[0]), float(pair[1]))
        if len(pair) == 2 and all(0 < t < float("inf") for t in (connect, read)) and not isinstance(value, bool):
            return connect, read
    except (TypeError, ValueError, IndexError):
        pass
    return DEFAULT_TIMEOUTS


#: What a bad HTTP["TIMEOUT"] falls back to: the setting's own default.
DEFAULT_TIMEOUTS: tuple[float, float] = (float(DEFAULTS["HTTP"]["TIMEOUT"][0]), float(DEFAULTS["HTTP"]["TIMEOUT"][1]))


def _exchange(
    method: str,
    url: str,
    data: Mapping[str, str] | bytes | None,
    auth: tuple[str, str] | None,
    extra_headers: Mapping[str, str],
    watchdog: Watchdog,
    timeouts: tuple[float, float],
    limit: int,
    accept: str = _ACCEPT_JSON,
) -> tuple[bytearray, int | None, str]:
    """Send the request and read at most ``limit`` bytes; ``FetchError`` for anything else than a 200."""
    # A new session (and connection) per fetch: fetches are minutes apart, so a
    # pooled keep-alive connection would be stale, or lead to a server that is
    # gone, by the next one. It also keeps forked workers from sharing sockets.
    session = watched_session(watchdog)
    session.trust_env = True  # honour HTTPS_PROXY / REQUESTS_CA_BUNDLE as requests does
    for prefix, adapter in list(_transports.items()):
        session.mount(prefix, adapter)
    try:
        response = session.request(
            method,
            url,
            data=data,
            auth=auth,
            headers={
                "Accept": accept,
                "User-Agent": jwks_settings.HTTP["USER_AGENT"],
                "Connection": "close",
                **extra_headers,
            },
            timeout=timeouts,
            allow_redirects=False,
            stream=True,
            verify=jwks_settings.HTTP["VERIFY"],
            proxies=jwks_settings.HTTP["PROXIES"],
        )
    except (requests.RequestException, OSError, ValueError) as exc:
        session.close()
        raise FetchError(f"{method} {url} failed: {_failure(exc)}") from exc
    with session, response:
        if response.status_code != 200:
            raise HTTPStatusError(f"{method} {url} answered HTTP {response.status_code}", response.status_code)
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{method} {url}: response larger than {limit} bytes")
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=16384):
                body += chunk
                if len(body) > limit:
                    raise FetchError(f"{method} {url}: response larger than {limit} bytes")
                if watchdog.expired:
                    raise FetchError(f"{method} {url}: response too slow")
        except (requests.RequestException, OSError, ValueError) as exc:
            raise FetchError(f"{method} {url} failed while reading: {type(exc).__name__}") from exc
        media_type = str(response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        return body, parse_max_age(response.headers.get("Cache-Control")), media_type


def _failure(exc: Exception) -> str:
    """What went wrong, in words that name no credential: the name lookup, or the exception's type."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None  # requests wraps urllib3's MaxRetryError
    if isinstance(reason, LookupTimeout):
        return "name lookup timed out"
    if isinstance(reason, LookupFailed):
        return "name does not resolve"
    return type(exc).__name__


@traced_fetch
def fetch_json(
    url: str,
    *,
    data: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    json_body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """GET ``url`` (POST ``data``, form-encoded, or ``json_body`` when given) and return its JSON object.

    ``headers`` are sent too (an RFC 8936 poll's ``Authorization``). Raises
    ``FetchError`` for anything but a 200 answer holding a JSON object within
    the size and time limits.
    """
    fetched = _fetch(url, data=data, auth=auth, accept=_ACCEPT_JSON, json_body=json_body, headers=headers)
    method = "GET" if data is None and json_body is None else "POST"
    try:
        document = json.loads(fetched.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FetchError(f"{method} {url}: response is not JSON") from exc
    if not isinstance(document, dict):
        raise FetchError(f"{method} {url}: response is not a JSON object")
    return FetchResult(document, fetched.max_age, fetched.duration)


@traced_fetch
def fetch_body(
    url: str, *, data: Mapping[str, str] | None = None, auth: tuple[str, str] | None = None, accept: str
) -> FetchedBody:
    """``fetch_json``'s exchange for an answer that is not JSON (a signed introspection response): its body
    and media type, asked for with ``accept``; ``FetchError`` for anything but a 200 within the limits."""
    return _fetch(url, data=data, auth=auth, accept=accept)


def _fetch(
    url: str,
    *,
    data: Mapping[str, str] | None,
    auth: tuple[str, str] | None,
    accept: str,
    json_body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchedBody:
    check_url(url)
    extra = dict(headers or {})
    body_out: Mapping[str, str] | bytes | None = data
    if json_body is not None:
        body_out = json.dumps(json_body).encode("utf-8")
        extra["Content-Type"] = "application/json"
    method = "GET" if body_out is None else "POST"
    connect, read = http_timeouts()
    limit = int(jwks_settings.HTTP["MAX_RESPONSE_BYTES"])
    started = time.monotonic()
    # One deadline for the whole exchange, headers included, kept by a watchdog
    # that shuts the connection (see jwks_auth.keys.deadline for why not timeouts).
    try:
        with Watchdog(started + connect + read) as watchdog:
            try:
                body, max_age, media_type = _exchange(
                    method, url, body_out, auth, extra, watchdog, (connect, read), limit, accept
                )
            except FetchError as exc:
                if watchdog.expired:
                    raise FetchError(f"{method} {url}: response too slow") from exc
                raise
    except RuntimeError as exc:  # no thread for the watchdog's timer: a failed fetch (503), not a 500
        raise FetchError(f"{method} {url} failed: no thread to keep its deadline") from exc
    if watchdog.expired:  # a body cut short by the watchdog can end like a complete one
        raise FetchError(f"{method} {url}: response too slow")
    return FetchedBody(bytes(body), media_type, max_age, time.monotonic() - started)
