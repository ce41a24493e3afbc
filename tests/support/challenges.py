"""One RFC 7235 ``WWW-Authenticate`` parser for every test (quoted strings may hold commas)."""

from __future__ import annotations

import re

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_SCHEME_RE = re.compile(rf"\s*({_TOKEN})(?:[ ]+|$)")
_PARAM_RE = re.compile(rf"\s*({_TOKEN})\s*=\s*({_TOKEN}|{_QUOTED})\s*")
_TOKEN68_RE = re.compile(r"\s*([A-Za-z0-9\-._~+/]+=*)\s*(?:,|$)")


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_challenges(header: str) -> list[tuple[str, dict[str, str]]]:
    """``WWW-Authenticate`` as ``[(scheme, {param: value})]``; raises on bad syntax or repeated params."""
    challenges: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while pos < len(header):
        match = _SCHEME_RE.match(header, pos)
        if match is None:
            raise AssertionError(f"bad challenge syntax at {pos}: {header!r}")
        scheme, params = match.group(1), {}
        pos = match.end()
        while pos < len(header):
            param = _PARAM_RE.match(header, pos)
            if param is None:
                raise AssertionError(f"bad auth-param at {pos}: {header!r}")
            name = param.group(1).lower()
            if name in params:
                raise AssertionError(f"repeated auth-param {name!r}: {header!r}")
            params[name] = _unquote(param.group(2))
            pos = param.end()
            if pos >= len(header):
                break
            if header[pos] != ",":
                raise AssertionError(f"expected ',' at {pos}: {header!r}")
            pos += 1
            # A comma followed by "scheme SP" (not "name=") starts a new challenge.
            nxt = _SCHEME_RE.match(header, pos)
            if nxt is not None and not _PARAM_RE.match(header, pos):
                break
        challenges.append((scheme, params))
    return challenges


def challenge_params(header: str) -> dict[str, str]:
    """The parameters of the one ``Bearer`` challenge in ``header``."""
    challenges = parse_challenges(header)
    bearer = [params for scheme, params in challenges if scheme.lower() == "bearer"]
    assert len(bearer) == 1, f"expected one Bearer challenge: {header!r}"
    return bearer[0]
