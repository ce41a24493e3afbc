"""The negotiation fast path answers exactly as DRF's own negotiation would."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from api.negotiation import FastContentNegotiation

RENDERERS = [JSONRenderer(), BrowsableAPIRenderer()]


def negotiate(negotiator, accept, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = APIView().initialize_request(APIRequestFactory().get("/me" + query, **headers))
    try:
        renderer, media_type = negotiator.select_renderer(request, RENDERERS)
    except NotAcceptable:
        return NotAcceptable
    return type(renderer), media_type


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "application/json",
        "text/html",
        "text/html,*/*;q=0.8",
        "application/json; indent=4",
        "application/*",
    ],
)
@pytest.mark.parametrize("query", ["", "?format=api", "?format=json"])
def test_same_choice_as_drf(accept, query):
    assert negotiate(FastContentNegotiation(), accept, query) == negotiate(DefaultContentNegotiation(), accept, query)


def test_unacceptable_is_still_refused():
    assert negotiate(FastContentNegotiation(), "image/png") is NotAcceptable
