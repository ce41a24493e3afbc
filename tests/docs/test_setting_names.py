"""Every setting name the pages and the PyPI page write in code is a setting of the table, spelled as it is today.

A renamed or removed setting left in the prose would send a reader to a key
that ``manage.py check`` reports as unknown, or as a spelling from before 1.0
(``jwks_auth.W010``). A grouped setting's key is written ``KEY_STORE.LOCAL_TTL``.
"""

from __future__ import annotations

import re

from jwks_auth.conf import rules
from jwks_auth.conf.table import LEGACY_BY_NAME, SETTINGS
from tests.docs.pages import pages

# Upper-case names in the pages that are not JWKS_AUTH keys: Django's and other libraries' settings,
# algorithm names, check ids, headers' and environment variables' names.
NOT_SETTINGS = {
    "JWKS_AUTH",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "LOGGING",
    "SECRET_KEY",
    "SECURE_PROXY_SSL_HEADER",
    "SPECTACULAR_SETTINGS",
    "OAUTH2_AUTHORIZATION_URL",
    "OAUTH2_TOKEN_URL",
    "OAUTH2_FLOWS",
    "OAUTH2_SCOPES",
    "OAUTH2_REFRESH_URL",
    "CORS_ALLOW_HEADERS",
    "CORS_EXPOSE_HEADERS",
    "PROMETHEUS_MULTIPROC_DIR",
    "REMOTE_ADDR",
    "VERIFY_X509_STRICT",
    "SELECT",
    "JWT",
    "RS256",
    "ES256",
    "META",
    # The sample project's environment variables, named where a page shows the sample.
    "API_STEP_UP_ACR",
    "API_STEP_UP_MAX_AGE",
    "SSF_TRANSMITTER",
    "SSF_PUSH_SECRET",
    "OIDC_ISSUER",
    "IDP_SSF_PUSH_URL",
    "IDP_SSF_PUSH_TIMEOUT",
}
# The keys of INTROSPECTION (a dict checked by jwks_auth.validation.introspection), named in its section.
INTROSPECTION_KEYS = {"ENDPOINT", "CLIENT_ID", "CLIENT_SECRET", "AUTH_METHOD", "CACHE", "CACHE_TTL", "JWT_RESPONSE"}
# The keys of a SHARED_SIGNALS["TRANSMITTERS"] entry (checked by jwks_auth.conf.rules.transmitters).
TRANSMITTER_KEYS = set(rules.TRANSMITTER_KEYS)


def _settings() -> set[str]:
    names = {setting.name for setting in SETTINGS}
    return names | {f"{setting.name}.{key.name}" for setting in SETTINGS for key in setting.keys}


def _named() -> set[tuple[str, str]]:
    return {
        (page, name)
        for page, text in pages().items()
        for name in re.findall(r"`([A-Z][A-Z0-9_]{2,}(?:\.[A-Z][A-Z0-9_]*)?)`", text)
        if not re.fullmatch(r"[EW]\d{3}", name)
    }


def test_every_setting_named_exists():
    known = _settings() | INTROSPECTION_KEYS | TRANSMITTER_KEYS | NOT_SETTINGS
    named = _named()
    assert named
    assert sorted((page, name) for page, name in named if name not in known) == []


def test_no_page_teaches_a_spelling_from_before_1_0():
    assert sorted((page, name) for page, name in _named() if name in LEGACY_BY_NAME) == []
