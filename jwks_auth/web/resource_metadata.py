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

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from jwks_auth.conf.security_profile import FAPI2_ALGORITHMS
from jwks_auth.conf.settings import FromSettings, IssuerConfig, issuer_configs, jwks_settings
from jwks_auth.exceptions import MISCONFIGURED_RETRY_AFTER, ConfigurationError, Misconfigured
from jwks_auth.sender.components import get_sender_constraints

WELL_KNOWN = "/.well-known/oauth-protected-resource"

logger = logging.getLogger("jwks_auth.authentication")


@dataclass(frozen=True)
class _Resource:
    """``RESOURCE``, read once per settings: the identifier, its path and its metadata URL (``None`` unset)."""

    identifier: str | None
    path: str = ""
    metadata_url: str | None = None


def _metadata_url(resource: str) -> tuple[str, str]:
    """The path of ``resource`` and the URL of its metadata; ``ValueError`` for what is not a URL."""
    parts = urlsplit(resource)
    path = parts.path.rstrip("/")
    return path, urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, parts.query, ""))


def _read_resource() -> _Resource:
    resource = jwks_settings.RESOURCE
    if not resource:
        return _Resource(None)
    if not isinstance(resource, str):
        raise ConfigurationError("JWKS_AUTH['RESOURCE'] must be a URL string, e.g. 'https://api.example.com'.")
    try:
        path, url = _metadata_url(resource)
    except ValueError:
        raise ConfigurationError(
            "JWKS_AUTH['RESOURCE'] is not a URL: set it to this API's identifier, e.g. 'https://api.example.com'."
        ) from None
    return _Resource(resource, path, url)


_resource = FromSettings(_read_resource)


def resource_metadata_url(resource: str | None = None) -> str | None:
    """Where the metadata of ``resource`` (default ``RESOURCE``) lives (RFC 9728 3.1).

    The well-known suffix goes between the host and the path:
    ``https://api.example.com/v1`` -> ``https://api.example.com/.well-known/oauth-protected-resource/v1``.
    ``RESOURCE`` is read once per settings; a ``RESOURCE`` that is not a URL is a ``ConfigurationError``.
    """
    if not resource:
        return _resource.get().metadata_url
    try:
        return _metadata_url(str(resource))[1]
    except ValueError:
        raise ConfigurationError(f"{resource!r} is not a resource URL") from None


def metadata_document(configs: Sequence[IssuerConfig] | None = None) -> dict[str, Any]:
    """The metadata of this resource, from ``JWKS_AUTH`` (``configs``: its issuers, read once by the caller)."""
    configs = issuer_configs() if configs is None else configs
    document: dict[str, Any] = {"resource": str(jwks_settings.RESOURCE)}
    servers = list(dict.fromkeys(config.issuer for config in configs))
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
    document.update(_sender_constraint_metadata(configs))
    documentation = jwks_settings.RESOURCE_METADATA["DOCUMENTATION"]
    if documentation:
        document["resource_documentation"] = str(documentation)
    return document


def _sender_constraint_metadata(configs: Sequence[IssuerConfig]) -> dict[str, Any]:
    """RFC 9449 5.1 and RFC 8705 3.3: which proofs are accepted and whether they are required.

    An issuer under ``SECURITY_PROFILE`` fapi2 requires DPoP when no client certificate can reach the API
    (``PROXY["CLIENT_CERT_HEADER"]`` unset), and accepts proofs of PS256, ES256 and EdDSA only: when every
    issuer that accepts DPoP is such an issuer, the algorithms listed are those.
    """
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
    """``GET /.well-known/oauth-protected-resource[/<resource path>]``; a 503 when ``JWKS_AUTH`` cannot work."""
    try:
        resource = _resource.get()
        if not resource.identifier or (suffix or "").rstrip("/") != resource.path:
            raise Http404("no such protected resource")
        response = JsonResponse(metadata_document(issuer_configs()))
    except ConfigurationError as exc:
        # Never a 500: the log names the setting, the client is told to come back later (as every door does).
        logger.error("JWKS_AUTH is misconfigured: %s", exc)
        refusal = Misconfigured(str(exc))
        return JsonResponse(
            {"detail": refusal.detail}, status=refusal.status, headers={"Retry-After": str(MISCONFIGURED_RETRY_AFTER)}
        )
    response["Cache-Control"] = "public, max-age=3600"
    # Public metadata, read by browser-based clients on other origins.
    response["Access-Control-Allow-Origin"] = "*"
    return response
