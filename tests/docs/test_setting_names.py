"""Every setting name the pages and the PyPI page write in code is a setting that exists, spelled as it is today.

A renamed or removed setting left in the prose would send a reader to a key
that ``manage.py check`` reports as unknown.
"""

from __future__ import annotations

import re

from jwks_auth.conf.schema import RULES
from tests.docs.pages import pages

# Upper-case names in the pages that are not JWKS_AUTH keys: Django's and other libraries' settings,
# algorithm names, check ids, headers' and environment variables' names.
NOT_SETTINGS = {
    "JWKS_AUTH",
    "INSTALLED_APPS",
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
}
# Keys of a dict setting, named on their own in its section.
SUB_KEYS = {"INTROSPECTION": {"ENDPOINT", "CLIENT_ID", "CLIENT_SECRET", "AUTH_METHOD", "CACHE", "CACHE_TTL"}}


def test_every_setting_named_exists():
    known = set(RULES) | set().union(*SUB_KEYS.values()) | NOT_SETTINGS
    named = {
        (page, name)
        for page, text in pages().items()
        for name in re.findall(r"`([A-Z][A-Z0-9_]{2,})`", text)
        if not re.fullmatch(r"[EW]\d{3}", name)
    }
    assert named
    assert sorted((page, name) for page, name in named if name not in known) == []
