"""RFC 9728 OAuth 2.0 Protected Resource Metadata.

With ``RESOURCE`` set (the API's resource identifier, e.g.
``https://api.example.com``), ``/.well-known/oauth-protected-resource`` (plus
the identifier's path, if it has one) describes this API to clients: its
identifier, the authorization servers it trusts, the scopes it knows, that
tokens go in the Authorization header only, and where it is documented. The
``resource_metadata`` parameter of every Bearer challenge points there.

Add it to the root URLconf with ``path("", include("jwks_auth.urls"))``; the
route is at the host's root even when the API is mounted under a path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from jwks_auth.conf.security_profile import FAPI2_ALGORITHMS
from jwks_auth.conf.settings import issuer_configs, jwks_settings
from jwks_auth.sender.components import get_sender_constraints

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def _resource_path(resource: str) -> str:
    return urlsplit(resource).path.rstrip("/")


def resource_metadata_url(resource: str | None = None) -> str | None:
    """Where the metadata of ``resource`` (default ``RESOURCE``) lives (RFC 9728 3.1).

    The well-known suffix goes between the host and the path:
    ``https://api.example.com/v1`` -> ``https://api.example.com/.well-known/oauth-protected-resource/v1``.
    """
    resource = resource or jwks_settings.RESOURCE
    if not resource:
        return None
    parts = urlsplit(str(resource))
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + _resource_path(str(resource)), parts.query, ""))


def metadata_document() -> dict[str, Any]:
    """The metadata of this resource, from ``JWKS_AUTH``."""
    document: dict[str, Any] = {"resource": str(jwks_settings.RESOURCE)}
    servers = list(dict.fromkeys(config.issuer for config in issuer_configs()))
    if servers:
        document["authorization_servers"] = servers
    scopes = list(jwks_settings.RESOURCE_METADATA["SCOPES"] or [])
    if scopes:
        document["scopes_supported"] = list(dict.fromkeys(str(scope) for scope in scopes))
    document["bearer_methods_supported"] = ["header"]
    # RFC 9728 2 / RFC 9396 10: the authorization details types this resource understands.
    types = list(jwks_settings.RESOURCE_METADATA["AUTHORIZATION_DETAILS_TYPES"] or [])
    if types:
        document["authorization_details_types_supported"] = list(dict.fromkeys(str(kind) for kind in types))
    document.update(_sender_constraint_metadata())
    documentation = jwks_settings.RESOURCE_METADATA["DOCUMENTATION"]
    if documentation:
        document["resource_documentation"] = str(documentation)
    return document


def _sender_constraint_metadata() -> dict[str, Any]:
    """RFC 9449 5.1 and RFC 8705 3.3: which proofs are accepted and whether they are required.

    An issuer under ``SECURITY_PROFILE`` fapi2 requires DPoP when no client certificate can reach the API
    (``PROXY["CLIENT_CERT_HEADER"]`` unset), and accepts proofs of PS256, ES256 and EdDSA only: when every
    issuer that accepts DPoP is such an issuer, the algorithms listed are those.
    """
    configs = issuer_configs()
    certificates = bool(jwks_settings.PROXY["CLIENT_CERT_HEADER"])
    dpop = [config for config in configs if config.dpop != "off"]
    found: dict[str, Any] = {}
    if dpop or not configs:
        algorithms = get_sender_constraints().settings.algorithms
        if dpop and all(config.sender_constrained for config in dpop):
            algorithms = algorithms & FAPI2_ALGORITHMS
        found["dpop_signing_alg_values_supported"] = sorted(algorithms)
        found["dpop_bound_access_tokens_required"] = bool(configs) and all(
            config.dpop == "required" or (config.sender_constrained and not certificates) for config in configs
        )
    found["tls_client_certificate_bound_access_tokens"] = certificates
    return found


@require_safe
def protected_resource_metadata(request: HttpRequest, suffix: str = "") -> JsonResponse:
    """``GET /.well-known/oauth-protected-resource[/<resource path>]``."""
    resource = jwks_settings.RESOURCE
    if not resource or (suffix or "").rstrip("/") != _resource_path(str(resource)):
        raise Http404("no such protected resource")
    response = JsonResponse(metadata_document())
    response["Cache-Control"] = "public, max-age=3600"
    # Public metadata, read by browser-based clients on other origins.
    response["Access-Control-Allow-Origin"] = "*"
    return response
