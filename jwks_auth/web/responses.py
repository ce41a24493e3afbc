"""The HTTP answer to a refusal: status, headers and body, built once for every framework.

``answer`` reads what the refusal's class states (``jwks_auth.exceptions``):
its status, its ``WWW-Authenticate`` challenge on the scheme the request
used, ``Retry-After`` for a 503, the response headers it carries
(``DPoP-Nonce``) and the body text (``{"detail": ...}``, DRF's shape). Each
framework's adapter packs that answer its own way: ``json_response`` for
plain Django views and ``TokenMiddleware``, ``jwks_auth.ninja.BearerRefused``
for Ninja, ``jwks_auth.web.challenges.RefusedRequest`` for DRF, so a client
sees no difference between the doors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import HttpResponseBase, JsonResponse

from jwks_auth.exceptions import Refusal
from jwks_auth.web.www_authenticate import refusal_challenge

__all__ = ["Answer", "answer", "json_response", "with_headers"]


@dataclass(frozen=True)
class Answer:
    status: int
    detail: str
    headers: dict[str, str]


def answer(refusal: Refusal) -> Answer:
    """Status, ``detail`` and headers for ``refusal``."""
    headers: dict[str, str] = {}
    challenge = refusal_challenge(refusal)
    if challenge:
        headers["WWW-Authenticate"] = challenge
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(refusal.retry_after)
    headers.update(refusal.headers)  # DPoP-Nonce for an issuer that asks for nonces
    return Answer(refusal.status, refusal.detail, headers)


def with_headers(response: HttpResponseBase, headers: Mapping[str, str]) -> HttpResponseBase:
    """``response`` with a credential's headers (``DPoP-Nonce``), as DRF's view headers go on its answers."""
    for name, value in headers.items():
        response[name] = value
    return response


def json_response(refusal: Refusal) -> JsonResponse:
    """The plain Django response for ``refusal`` (the decorators, the mixin and ``TokenMiddleware``)."""
    result = answer(refusal)
    return JsonResponse({"detail": result.detail}, status=result.status, headers=result.headers)
