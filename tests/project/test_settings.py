"""The sample project's settings: environment variables in, JWKS_AUTH and the API's own settings out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.settings import api_settings

from jwks_auth.authentication import JWKSAuthentication
from tests.support.drf_routes import jwks_first_problems

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(databases=[])


def test_env_vars_configure_the_one_issuer_case():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "API_", "JWKS_AUTH"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "OIDC_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf",
        "OIDC_AUDIENCE": "client-a, client-b",
        "OIDC_PROFILE": "cognito",
        "OIDC_LEEWAY": "0",
        "API_REQUIRED_SCOPES": "api1/read",
    }
    script = (
        "import django, json; django.setup();"
        "from django.conf import settings;"
        "from jwks_auth.conf.settings import issuer_configs, jwks_settings;"
        "[c] = issuer_configs();"
        "print(json.dumps({'issuer': c.issuer, 'aud': sorted(c.audiences), 'claim': c.audience_claim,"
        " 'values': dict(c.claim_values), 'leeway': c.leeway, 'types': sorted(map(str, c.token_types)),"
        " 'scopes': settings.API_REQUIRED_SCOPES, 'advertised': jwks_settings.RESOURCE_METADATA['SCOPES'],"
        " 'algs': sorted(c.algorithms)}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {
        "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf",
        "aud": ["client-a", "client-b"],
        "claim": "client_id",
        "values": {"token_use": "access"},
        "leeway": 0.0,
        "types": ["None"],
        "scopes": ["api1/read"],
        "advertised": ["api1/read"],
        "algs": ["RS256"],
    }


def test_me_needs_the_api_required_scopes(settings):
    from api.views import MeView

    settings.API_REQUIRED_SCOPES = ["orders.read"]
    assert MeView().required_scopes == ["orders.read"]


def test_manage_py_spectacular_on_the_project(tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(target), "--validate")
    document = json.loads(target.read_text())
    assert document["paths"]["/me"]["get"]["security"] == [{"oauth2": ["api1"]}, {"bearerAuth": []}]
    scheme = document["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["authorizationCode"]["authorizationUrl"].endswith("/connect/authorize")
    assert "/.well-known/oauth-protected-resource" not in document["paths"]


def test_jwks_authentication_is_first_wherever_the_project_uses_it():
    """DRF's 403 trap: a class without authenticate_header() ahead of JWKSAuthentication, over config.urls."""
    assert api_settings.DEFAULT_AUTHENTICATION_CLASSES[0] is JWKSAuthentication
    checked, problems = jwks_first_problems("config.urls")
    assert problems == []
    assert checked >= 1  # at least /me
