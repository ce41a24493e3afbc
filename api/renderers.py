"""JSON rendering with a fast path for the common response.

DRF's ``JSONRenderer`` parses the accepted media type for an ``indent``
parameter and builds a new encoder on every response. For the plain
``application/json`` answer (no parameters, no indent in the context) the
output is fixed by the settings alone, so one encoder per setting is kept
and reused. Anything else goes through DRF's renderer unchanged.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoders: dict[tuple[bool, bool, bool], json.JSONEncoder] = {}


def _encoder(ensure_ascii: bool, compact: bool, strict: bool) -> json.JSONEncoder:
    key = (ensure_ascii, compact, strict)
    encoder = _encoders.get(key)
    if encoder is None:
        separators = (",", ":") if compact else (", ", ": ")
        encoder = _encoders[key] = JSONEncoder(ensure_ascii=ensure_ascii, allow_nan=not strict, separators=separators)
    return encoder


class FastJSONRenderer(JSONRenderer):
    """``JSONRenderer`` whose plain ``application/json`` output skips the per-call setup."""

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        plain = accepted_media_type is None or accepted_media_type == self.media_type
        if plain and data is not None and not (renderer_context or {}).get("indent"):
            text = _encoder(self.ensure_ascii, self.compact, self.strict).encode(data)
            # As DRF: U+2028/U+2029 escaped, so the output is also valid JavaScript.
            return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
        return bytes(super().render(data, accepted_media_type, renderer_context))
