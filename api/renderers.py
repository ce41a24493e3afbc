"""JSON rendering with a fast path for the common response.

DRF's ``JSONRenderer`` parses the accepted media type for an ``indent``
parameter and builds a new encoder on every response. For the plain
``application/json`` answer (no parameters, no indent in the context) the
output is fixed by the settings alone, so one encoder per setting is kept
and reused. Anything else goes through DRF's renderer unchanged.

``AccessToken.claims`` is a read-only view (``MappingProxyType``) of a dict
only the view holds, so its JSON is kept for the next response that renders
the very same object: ``/me`` with a cached token renders its claims once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

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


class RenderedMappings:
    """JSON of read-only mappings by identity, the newest ``size`` of them (each entry holds its mapping,
    so an identity is never reused while its entry lives)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[Any, tuple[bool, bool, bool], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, mapping: Any, key: tuple[bool, bool, bool]) -> bytes | None:
        found = self._entries.get(id(mapping))
        if found is None or found[0] is not mapping or found[1] != key:
            return None
        return found[2]

    def put(self, mapping: Any, key: tuple[bool, bool, bool], body: bytes) -> None:
        with self._lock:
            self._entries[id(mapping)] = (mapping, key, body)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)


_rendered = RenderedMappings()


class FastJSONRenderer(JSONRenderer):
    """``JSONRenderer`` whose plain ``application/json`` output skips the per-call setup."""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        plain = accepted_media_type is None or accepted_media_type == self.media_type
        if plain and data is not None and not (renderer_context or {}).get("indent"):
            options = (self.ensure_ascii, self.compact, self.strict)
            if type(data) is MappingProxyType:
                body = _rendered.get(data, options)
                if body is None:
                    body = self._plain(dict(data), options)
                    _rendered.put(data, options, body)
                return body
            return self._plain(data, options)
        return bytes(super().render(data, accepted_media_type, renderer_context))

    @staticmethod
    def _plain(data: Any, options: tuple[bool, bool, bool]) -> bytes:
        text = _encoder(*options).encode(data)
        # As DRF: U+2028/U+2029 escaped, so the output is also valid JavaScript.
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
