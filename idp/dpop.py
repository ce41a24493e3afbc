"""DPoP at the token endpoint (RFC 9449 5), which django-oauth-toolkit does not have.

A token request with a ``DPoP`` header gets its proof checked by the
resource server's own verifier (``jwks_auth.sender``: typ, alg, public key,
signature, ``htm``/``htu`` against this endpoint, ``iat``, replay), and the
access token it returns is bound to the proof's key: ``cnf.jkt`` in the
at+jwt, ``token_type: DPoP`` in the answer. Without the header, tokens are
Bearer tokens as before. A bad proof is 400 ``invalid_dpop_proof``.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider.views import TokenView

from idp import authorization_details
from jwks_auth.sender import ProofError, ProofVerifier
from jwks_auth.sender.django_request import request_facts
from jwks_auth.sender.replay import ReplayGuard
from jwks_auth.sender.settings import DPoPSettings
from jwks_auth.utils.shared_cache import SharedCache

#: Proof algorithms accepted here (published in discovery as dpop_signing_alg_values_supported).
ALGORITHMS = ("ES256", "PS256", "EdDSA", "Ed25519")
#: The proof key of the token request being served, for ``idp.tokens.access_token_claims``.
bound_key: contextvars.ContextVar[str | None] = contextvars.ContextVar("idp_dpop_jkt", default=None)


#: Proof iat tolerance either way: node oidc-provider's (300 s without a nonce). A token endpoint
#: sees browsers whose clocks drift; the resource server keeps its tighter window.
IAT_TOLERANCE = 300.0


def _verifier() -> ProofVerifier:
    settings = DPoPSettings(algorithms=frozenset(ALGORITHMS), iat_max_age=IAT_TOLERANCE, iat_max_ahead=IAT_TOLERANCE)
    return ProofVerifier(settings, ReplayGuard(SharedCache("default"), "idp"), None)


def _refuse(description: str) -> JsonResponse:
    response = JsonResponse({"error": "invalid_dpop_proof", "error_description": description}, status=400)
    response["Cache-Control"] = "no-store"
    return response


class DPoPTokenView(TokenView):
    """DOT's token endpoint, issuing DPoP-bound tokens to requests with a valid proof, and RFC 9396
    ``authorization_details`` to requests that ask for them (``idp.authorization_details``)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        details, refusal = authorization_details.requested(request)
        if refusal is not None:
            return refusal
        reset = authorization_details.granted.set(details)
        try:
            response = self._post(request, *args, **kwargs)
        finally:
            authorization_details.granted.reset(reset)
        return _with_details(response, details)

    def _post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.META.get("HTTP_DPOP")
        if header is None:
            return super().post(request, *args, **kwargs)
        facts = request_facts(request)
        proofs = facts.header("dpop")
        if len(proofs) != 1:
            return _refuse("exactly one DPoP proof is required")
        try:
            proof = _verifier().verify(proofs[0], facts, access_token=None)
        except ProofError as exc:
            return _refuse(exc.description)
        reset = bound_key.set(proof.thumbprint)
        try:
            response = super().post(request, *args, **kwargs)
        finally:
            bound_key.reset(reset)
        return _as_dpop(response)


def _with_details(response: HttpResponse, details: list[dict[str, Any]] | None) -> HttpResponse:
    """RFC 9396 7: the granted ``authorization_details`` in a successful answer too."""
    if details is None or response.status_code != 200:
        return response
    body = json.loads(response.content)
    body["authorization_details"] = details
    response.content = json.dumps(body).encode("utf-8")
    response["Content-Length"] = str(len(response.content))
    return response


def _as_dpop(response: HttpResponse) -> HttpResponse:
    """``token_type: DPoP`` in a successful answer (RFC 9449 5)."""
    if response.status_code != 200:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(body, dict) and "access_token" in body:
        body["token_type"] = "DPoP"
        response.content = json.dumps(body).encode("utf-8")
        response["Content-Length"] = str(len(response.content))
    return response
