"""The compact JWS, parsed strictly rather than by PyJWT.

Exactly three unpadded canonical base64url segments, UTF-8 JSON objects
without duplicate names, a header of known members only (no ``jwk``,
``jku``, ``x5u``, ``x5c``, ``crit``, ``zip``, ``cty`` or ``b64``) and an
algorithm from the issuer's allowlist. Nothing here can be switched off.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from jwks_auth.conf.settings import IssuerConfig, normalise_typ
from jwks_auth.exceptions import MalformedToken
from jwks_auth.keys.jwks import algorithm_allowed
from jwks_auth.reasons import Reason
from jwks_auth.utils.lru import BoundedLRU

#: Header members a token may carry. Anything else, including the members
#: that would let a token choose its own key, is refused.
ALLOWED_HEADER_MEMBERS = frozenset({"alg", "kid", "typ", "x5t", "x5t#S256"})
MAX_KID_LENGTH = 512
#: Decoded header segments kept per process: the tokens of one issuer and key share one header.
HEADER_MEMO_SIZE = 256

JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)", re.ASCII)
# For canonical base64url the unused low bits of the last character are zero.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def is_jws(token: str) -> bool:
    """Whether ``token`` has the shape of a compact JWS (else: a reference token)."""
    return JWS.fullmatch(token) is not None


def decode_segment(segment: str) -> bytes:
    """A segment's bytes; ``MalformedToken`` unless it is canonical base64url (RFC 7515 2, no padding).

    The alphabet is checked here, not by ``split_jws``: the standard alphabet's ``+``, ``/`` and the padding
    ``=`` are refused before ``-`` and ``_`` are translated to them, and the decoder's strict mode refuses any
    other character (whitespace included), where its default would skip it.
    """
    remainder = len(segment) % 4
    if (
        remainder == 1
        or (remainder and segment[-1] not in _CANONICAL_LAST[remainder])
        or "+" in segment
        or "/" in segment
        or "=" in segment
    ):
        raise MalformedToken()
    try:
        # base64.urlsafe_b64decode without its layers of Python: the same translation, a stricter decoder.
        data = segment.encode("ascii").translate(_URLSAFE_TO_STANDARD)
        return binascii.a2b_base64(data + b"=" * (-remainder % 4), strict_mode=True)
    except (binascii.Error, ValueError) as exc:  # UnicodeEncodeError included: a non-ASCII character
        raise MalformedToken() from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One strict decoder for every segment; json.loads would build one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
# The scanner decode() itself calls (set by JSONDecoder.__init__, not in its type stubs).
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _decode_json(text: str) -> Any:
    """``_DECODER.decode(text)``: a segment without whitespace around its JSON value skips decode()'s two
    whitespace scans (the same scanner reads the value either way; any other text takes decode() itself)."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        return _DECODER.decode(text)  # whitespace around the value, extra data or not JSON: decode()'s answer
    return value


def split_jws(token: str, max_length: int) -> tuple[str, str, str]:
    """The three non-empty segments of a compact JWS, nothing decoded yet; ``MalformedToken`` for another shape.

    Each segment's alphabet is checked when it is decoded (``decode_segment``, strict), and every caller decodes
    all three before it trusts any: split by ``str.split``, not ``JWS.fullmatch``, whose engine costs a first-seen
    token more than a tenth of its check.
    """
    if len(token) > max_length:
        raise MalformedToken("token too large", code=Reason.TOO_LARGE)
    segments = token.split(".")
    if len(segments) != 3 or not (segments[0] and segments[1] and segments[2]):
        raise MalformedToken()
    return segments[0], segments[1], segments[2]


def signing_input(token: str, header_b64: str, payload_b64: str) -> bytes:
    """What the signature covers: the first two segments and the dot between them."""
    return token[: len(header_b64) + len(payload_b64) + 1].encode("ascii")


def decode_object(segment: str) -> dict[str, Any]:
    """A header or payload segment as a JSON object; ``MalformedToken`` otherwise."""
    return json_object(decode_segment(segment))


def json_object(data: bytes) -> dict[str, Any]:
    """A decoded segment's bytes as a JSON object (UTF-8, no duplicate names); ``MalformedToken`` otherwise."""
    try:
        text = data.decode("utf-8")
        value = _decode_json(text)
        if "\\u" in text:
            # An escaped lone surrogate ("\ud800") is not a character (RFC 7493
            # 2.1); kept, it would break every later encoding of the claims.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise MalformedToken() from exc
    if not isinstance(value, dict):
        raise MalformedToken()
    return value


_headers: BoundedLRU[str, dict[str, Any]] = BoundedLRU(HEADER_MEMO_SIZE)


def decode_header(segment: str) -> dict[str, Any]:
    """``decode_object`` for a header segment, remembered by its exact text; the dict is shared: read it only.

    Decoding is a pure function of the text, and only a segment that decoded is kept, so the answer is
    ``decode_object``'s; the checks of the header (``check_header``) are not skipped.
    """
    header = _headers.get(segment)
    if header is None:
        header = decode_object(segment)
        _headers.put(segment, header)
    return header


def parse_jws(token: str, max_length: int) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into header, claims, signing input and signature."""
    header_b64, payload_b64, signature_b64 = split_jws(token, max_length)
    header = decode_object(header_b64)
    claims = decode_object(payload_b64)
    signature = decode_segment(signature_b64)
    return header, claims, signing_input(token, header_b64, payload_b64), signature


def check_header(
    header: Mapping[str, Any], config: IssuerConfig, token_types: frozenset[str | None] | None = None
) -> tuple[str, str]:
    """Apply the header policy; return ``(alg, kid)``.

    ``token_types``: the ``typ`` values accepted (normalised), when not the issuer's access-token types (an RFC
    9701 introspection answer's ``token-introspection+jwt``).
    """
    if not header.keys() <= ALLOWED_HEADER_MEMBERS:
        raise MalformedToken("unsupported header parameter", code=Reason.HEADER)
    alg = header.get("alg")
    if type(alg) is not str or not algorithm_allowed(alg, config.algorithms):
        raise MalformedToken("algorithm not allowed", code=Reason.ALG)
    kid = header.get("kid")
    if type(kid) is not str or not kid or len(kid) > MAX_KID_LENGTH:
        raise MalformedToken("missing or invalid key id", code=Reason.BAD_KID)
    typ = header.get("typ", None)
    if "typ" in header and type(typ) is not str:
        raise MalformedToken("token type not accepted", code=Reason.TYP)
    if normalise_typ(typ) not in (config.token_types if token_types is None else token_types):
        raise MalformedToken("token type not accepted", code=Reason.TYP)
    for name in ("x5t", "x5t#S256"):
        if name in header and type(header[name]) is not str:
            raise MalformedToken("unsupported header parameter", code=Reason.HEADER)
    return alg, kid
