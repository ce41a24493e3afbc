"""drf-spectacular: the security schemes of ``JWKSAuthentication`` and each view's scopes.

Two schemes are described, as alternatives:

* ``oauth2``, when the authorization server's URLs are known through
  ``SPECTACULAR_SETTINGS`` (``OAUTH2_AUTHORIZATION_URL``, ``OAUTH2_TOKEN_URL``,
  optionally ``OAUTH2_REFRESH_URL``, ``OAUTH2_FLOWS`` and ``OAUTH2_SCOPES``):
  the authorization code flow (and client credentials, given a token URL).
  Without them, ``oidc``: an ``openIdConnect`` scheme pointing at the first
  trusted issuer's discovery document. Either lists the scopes each operation
  needs, from the view's scope permissions (``required_scopes``,
  ``HasScopes.require(...)``, per-method maps, ``|`` alternatives).
* ``bearerAuth``: HTTP bearer, format JWT.

Imported by ``JWKSAuthConfig.ready()`` when drf-spectacular is installed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.settings import spectacular_settings

from jwks_auth.conf.settings import issuer_configs, jwks_settings
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.permissions import required_scope_alternatives

__all__ = ["JWKSAuthenticationScheme"]

BEARER = "bearerAuth"
OAUTH2 = "oauth2"
OIDC = "oidc"

_AUTHORIZATION_FLOWS = ("implicit", "authorizationCode")
_TOKEN_FLOWS = ("password", "clientCredentials", "authorizationCode")


def _flows() -> list[str]:
    flows = list(spectacular_settings.OAUTH2_FLOWS or [])
    authorization_url = spectacular_settings.OAUTH2_AUTHORIZATION_URL
    token_url = spectacular_settings.OAUTH2_TOKEN_URL
    if not flows:
        if authorization_url and token_url:
            flows.append("authorizationCode")
        if token_url:
            flows.append("clientCredentials")
    # A flow whose URLs are unknown cannot be described.
    return [
        flow
        for flow in flows
        if (flow not in _AUTHORIZATION_FLOWS or authorization_url) and (flow not in _TOKEN_FLOWS or token_url)
    ]


def _scope_descriptions() -> dict[str, str]:
    scopes = spectacular_settings.OAUTH2_SCOPES
    if isinstance(scopes, dict):
        return {str(name): str(text) for name, text in scopes.items()}
    if scopes:
        return {str(name): "" for name in scopes}
    names = jwks_settings.RESOURCE_METADATA["SCOPES"] or []
    return {str(name): "" for name in names}


def _discovery_url() -> str | None:
    try:
        configs = issuer_configs()
    except ConfigurationError:
        return None
    if not configs:
        return None
    return configs[0].issuer.rstrip("/") + "/.well-known/openid-configuration"


class JWKSAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "jwks_auth.authentication.JWKSAuthentication"
    match_subclasses = True

    @property
    def name(self) -> list[str]:  # type: ignore[override]
        names = []
        if _flows():
            names.append(OAUTH2)
        elif _discovery_url():
            names.append(OIDC)
        return names + [BEARER]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        definitions: list[dict[str, Any]] = []
        flows = _flows()
        if flows:
            described: dict[str, Any] = {}
            for flow in flows:
                entry: dict[str, Any] = {}
                if flow in _AUTHORIZATION_FLOWS:
                    entry["authorizationUrl"] = spectacular_settings.OAUTH2_AUTHORIZATION_URL
                if flow in _TOKEN_FLOWS:
                    entry["tokenUrl"] = spectacular_settings.OAUTH2_TOKEN_URL
                if spectacular_settings.OAUTH2_REFRESH_URL:
                    entry["refreshUrl"] = spectacular_settings.OAUTH2_REFRESH_URL
                entry["scopes"] = _scope_descriptions()
                described[flow] = entry
            definitions.append({"type": "oauth2", "flows": described})
        elif _discovery_url():
            definitions.append({"type": "openIdConnect", "openIdConnectUrl": _discovery_url()})
        algorithms = ", ".join(sorted({alg for config in _safe_configs() for alg in config.algorithms})) or "RS256"
        definitions.append(
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": f"An OAuth 2.0 access token, verified with the issuer's JWKS ({algorithms}).",
            }
        )
        return definitions

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        view = auto_schema.view
        try:
            alternatives = required_scope_alternatives(view, getattr(view, "request", None))
        except ImproperlyConfigured as exc:
            warn(f"{type(view).__name__}: {exc}")
            alternatives = [frozenset()]
        names = self.name
        requirements: list[dict[str, list[str]]] = []
        if len(names) > 1:
            requirements.extend({names[0]: sorted(scopes)} for scopes in alternatives)
        requirements.append({BEARER: []})
        return requirements


def _safe_configs() -> list[Any]:
    try:
        return issuer_configs()
    except ConfigurationError:
        return []
