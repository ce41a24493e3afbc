"""Content negotiation with a fast path for the common API request.

DRF parses the Accept header on every request. API clients almost always
send no Accept header, ``*/*`` or ``application/json``; for those the answer
is known without parsing: the first renderer (JSON here). Anything else,
and any format override, goes through DRF's own negotiation unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request


class FastContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Sequence[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        if renderers and not format_suffix:
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            first = renderers[0]
            override = self.settings.URL_FORMAT_OVERRIDE
            overridden = override and request.META.get("QUERY_STRING") and override in request._request.GET
            if (accept == "*/*" or accept == first.media_type) and not overridden:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
