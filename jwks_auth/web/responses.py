"""The HTTP answer to a refused request, for the front doors that are not DRF.

The same status, ``WWW-Authenticate`` challenge, ``Retry-After`` and JSON
body (``{"detail": ...}``) as DRF's answer to the same request, so a client
sees no difference between the DRF, Ninja and plain Django endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import HttpResponseBase, JsonResponse

from jwks_auth.web.request_verifier import BadRequest, Refusal, Unavailable
from jwks_auth.web.www_authenticate import bearer_challenge

#: Retry-After of a 503 whose refusal names no delay (as DRF's adapter).
DEFAULT_RETRY_AFTER = 5


class NoCredential(Refusal):
    """401 without an error code: the request carries no token (RFC 6750 3.1)."""

    status = 401
    error = None

    def __init__(self) -> None:
        super().__init__("Authentication credentials were not provided.")

    def challenge(self) -> str:
        return bearer_challenge()


@dataclass(frozen=True)
class Answer:
    status: int
    detail: str
    headers: dict[str, str]


def _detail(refusal: Refusal) -> str:
    # DRF's texts (jwks_auth.web.challenges) for the same refusals.
    if isinstance(refusal, Unavailable):
        return "Token verification is temporarily unavailable."
    if refusal.description:
        return refusal.description
    return "Malformed authorization request." if isinstance(refusal, BadRequest) else "Invalid access token."


def answer(refusal: Refusal) -> Answer:
    """Status, ``detail`` and headers for ``refusal``."""
    headers: dict[str, str] = {}
    challenge = refusal.challenge()
    if challenge:
        headers["WWW-Authenticate"] = challenge
    if isinstance(refusal, Unavailable):
        headers["Retry-After"] = str(refusal.retry_after or DEFAULT_RETRY_AFTER)
    headers.update(refusal.headers)  # DPoP-Nonce for an issuer that asks for nonces
    return Answer(refusal.status, _detail(refusal), headers)


def with_headers(response: HttpResponseBase, headers: Mapping[str, str]) -> HttpResponseBase:
    """``response`` with a credential's headers (``DPoP-Nonce``), as DRF's view headers go on its answers."""
    for name, value in headers.items():
        response[name] = value
    return response


def json_response(refusal: Refusal) -> JsonResponse:
    """The plain Django response for ``refusal``."""
    result = answer(refusal)
    return JsonResponse({"detail": result.detail}, status=result.status, headers=result.headers)
