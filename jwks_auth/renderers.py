"""A browsable API renderer that never shows a token sent in the URL.

RFC 6750's URI query method is refused by ``JWKSAuthentication``, but DRF's
HTML pages print the request URL, query string included, in several places.
This renderer drops ``access_token`` from the query before the page is
rendered (the view has already run), so a mistaken token is not reflected.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from rest_framework.renderers import BrowsableAPIRenderer

__all__ = ["TokenSafeBrowsableAPIRenderer", "strip_token_parameters"]

TOKEN_PARAMETERS = frozenset({"access_token"})


def strip_token_parameters(query_string: str) -> str:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(name, value) for name, value in pairs if name not in TOKEN_PARAMETERS])


class TokenSafeBrowsableAPIRenderer(BrowsableAPIRenderer):
    """``BrowsableAPIRenderer`` minus the token-bearing query parameters."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        request = (renderer_context or {}).get("request")
        if request is not None and TOKEN_PARAMETERS.intersection(request._request.GET):
            django_request = request._request
            django_request.META["QUERY_STRING"] = strip_token_parameters(django_request.META.get("QUERY_STRING", ""))
            django_request.__dict__.pop("GET", None)  # WSGIRequest.GET is cached from QUERY_STRING
        return super().render(data, accepted_media_type, renderer_context)
