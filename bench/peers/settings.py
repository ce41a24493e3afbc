"""One minimal Django + DRF project for every peer: only the authentication class differs.

    PEER=jwks_auth|simplejwt|pyjwkclient|oidc_auth|floor BENCH_ISSUER=... BENCH_JWKS_URI=... BENCH_AUDIENCE=api1

No middleware, no database access per request, the stock JSONRenderer, a
stateless user for every peer and DRF's IsAuthenticated on /me: what is left
to compare is each library's token check and how it plugs into DRF.
"""

from __future__ import annotations

import os

PEERS = {
    "jwks_auth": "jwks_auth.authentication.JWKSAuthentication",
    "simplejwt": "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication",
    "pyjwkclient": "bench.peers.auth.PyJWKClientAuthentication",
    "oidc_auth": "oidc_auth.authentication.JSONWebTokenAuthentication",
    "floor": "bench.peers.auth.FloorAuthentication",
}
PEER = os.environ.get("PEER", "jwks_auth")
if PEER not in PEERS:
    raise RuntimeError(f"PEER must be one of {', '.join(PEERS)}")
ISSUER = os.environ.get("BENCH_ISSUER", "http://127.0.0.1:5000")
JWKS_URI = os.environ.get("BENCH_JWKS_URI", ISSUER + "/.well-known/openid-configuration/jwks")
AUDIENCE = os.environ.get("BENCH_AUDIENCE", "api1")

DEBUG = False
SECRET_KEY = "bench-peers-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.peers.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"]
if PEER == "jwks_auth":
    INSTALLED_APPS.append("jwks_auth")
MIDDLEWARE: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [PEERS[PEER]],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}

# jwks_auth: RFC 9068 profile, keys over loopback HTTP.
JWKS_AUTH = {
    "ISSUER": ISSUER,
    "AUDIENCE": [AUDIENCE],
    "JWKS_URI": JWKS_URI,
    "ALGORITHMS": ["RS256"],
    "REQUIRED_SCOPES": [],  # metrics stay on, as shipped
}
if os.environ.get("BENCH_COUNTED"):
    # Counted under callgrind (bench/instructions.py), a request runs some 50 times slower: the look at the shared
    # cache a process makes every LOCAL_TTL (30 s) of wall time, once in thousands of requests in a real worker,
    # fell inside the counted batch in some runs and not others (about 2.5 k instructions per request between two
    # runs of the same code). The count measures a request's own work: the recheck stays out of it.
    JWKS_AUTH["KEY_STORE"] = {"LOCAL_TTL": 3600}

# djangorestframework-simplejwt 5.5 verifying with the issuer's JWKS (JWK_URL).
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": None,
    "VERIFYING_KEY": None,
    "JWK_URL": JWKS_URI,
    "AUDIENCE": AUDIENCE,
    "ISSUER": ISSUER,
    "LEEWAY": 60,
    "USER_ID_CLAIM": "sub",
    "USER_ID_FIELD": "id",
    "TOKEN_TYPE_CLAIM": None,
    "JTI_CLAIM": "jti",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# drf-oidc-auth 4.0: discovery at OIDC_ENDPOINT, keys from its jwks_uri.
OIDC_AUTH = {
    "OIDC_ENDPOINT": ISSUER,
    "OIDC_CLAIMS_OPTIONS": {
        "aud": {"values": [AUDIENCE], "essential": True},
        "iss": {"values": [ISSUER], "essential": True},
    },
    "OIDC_RESOLVE_USER_FUNCTION": "bench.peers.auth.oidc_user",
    "JWT_AUTH_HEADER_PREFIX": "Bearer",
    # drf-oidc-auth also refuses a token whose iat is more than OIDC_LEEWAY seconds old ("JWT too old"):
    # at 60 every /me of an hour-long bench token became a 401 a minute in. An hour admits the token's life.
    "OIDC_LEEWAY": 3600,
}

# The hand-written class over PyJWT's PyJWKClient, and the floor in front of it (bench/peers/auth.py).
PYJWKCLIENT = {"JWKS_URI": JWKS_URI, "ISSUER": ISSUER, "AUDIENCE": AUDIENCE}
