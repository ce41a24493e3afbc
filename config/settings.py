"""
Settings for the API (port 5002 in development).

Everything deployment-specific comes from environment variables, so the same
code protects the API with tokens from any OpenID Connect provider:

    OIDC_ISSUER=https://login.example.com OIDC_AUDIENCE=api1 python manage.py runserver
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.env import env_addresses, env_bool, env_float, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# SQLite cannot create its file's directory: make it here, so `manage.py migrate`,
# `runserver` and `check` work on a fresh clone without `make`. A read-only
# VAR_DIR is left to fail where a database is opened, with SQLite's own error.
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError:
    pass

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],api")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets as static files (no CDN)
    "jwks_auth",
    "api",
    "client_static",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Last: a presented token is checked once, before routing; a bad one is refused here,
    # after CORS (the browser can read the 401) and the security headers.
    "jwks_auth.middleware.TokenMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # api/templates first: its rest_framework/api.html (the browsable API with
        # a "Log in" link) must win over DRF's own, and "api" comes after it in
        # INSTALLED_APPS.
        "DIRS": [BASE_DIR / "api" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "api.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Keys are shared by every worker and host that share this cache. Without
# REDIS_URL each process keeps its own copy in local memory.
REDIS_URL = env_str("REDIS_URL")
# Production: a Redis primary with replicas behind Sentinel (docs/production.md, "Redis with failover"), through
# django-redis's SentinelClient (pip install "django-jwks-auth[sentinel]"): REDIS_SENTINELS=host:port,host:port,...
# and REDIS_SENTINEL_SERVICE, the name the sentinels monitor. It wins over REDIS_URL.
REDIS_SENTINELS = env_addresses("REDIS_SENTINELS")
if REDIS_SENTINELS:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{env_str('REDIS_SENTINEL_SERVICE', 'mymaster')}/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": REDIS_SENTINELS,
                # The same deadlines as with REDIS_URL, for the sentinels too: a failover must not hang requests.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "SENTINEL_KWARGS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            },
        }
    }
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A stopped or unreachable Redis must fail fast, not hang requests.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The dev identity server's port (IDP_PORT, as `make run IDP_PORT=5600` sets it) gives the default issuer.
IDP_PORT = env_str("IDP_PORT", "5000")
API_PORT = env_str("API_PORT", "5002")
OIDC_ISSUER = env_str("OIDC_ISSUER", f"http://localhost:{IDP_PORT}")
# The scopes /me needs (api/views.py): a setting of this API, not of jwks_auth.
API_REQUIRED_SCOPES = env_list("API_REQUIRED_SCOPES", "api1")
# What /me/step-up needs (RFC 9470): one of these acr values (the dev idp's second factor), and an
# authentication at most this many seconds old.
API_STEP_UP_ACR = env_list("API_STEP_UP_ACR", "urn:jwks-auth:mfa")
API_STEP_UP_MAX_AGE = int(env_str("API_STEP_UP_MAX_AGE", "600"))

JWKS_AUTH = {
    "ISSUER": OIDC_ISSUER,
    "AUDIENCE": env_list("OIDC_AUDIENCE", "api1"),
    "JWKS_URI": env_str("OIDC_JWKS_URI") or None,
    "ALGORITHMS": env_list("OIDC_ALGORITHMS", "RS256"),
    "PROFILE": env_str("OIDC_PROFILE", "rfc9068"),
    "LEEWAY": env_float("OIDC_LEEWAY", 60),
    # DPoP (RFC 9449): "off", "allowed" (Bearer or DPoP; a DPoP-bound token only with its proof) or "required".
    # Left unset, jwks_auth's default ("allowed") applies; set, `manage.py check` warns of a per-process
    # cache (jwks_auth.W004), which a multi-process deployment should replace with Redis (REDIS_URL).
    "DPOP": env_str("OIDC_DPOP") or None,
    "ALLOW_INSECURE_HTTP": env_bool("OIDC_ALLOW_HTTP", False),
    # Advertised in the RFC 9728 metadata and the OpenAPI oauth2 scheme.
    "RESOURCE_METADATA": {
        "SCOPES": API_REQUIRED_SCOPES,
        # RFC 9396: /accounts/<id> reads account_information details.
        "AUTHORIZATION_DETAILS_TYPES": ["account_information"],
    },
    "RESOURCE": env_str("API_RESOURCE", f"http://localhost:{API_PORT}"),
}
# Shared Signals (docs/shared-signals.md): the identity server pushes CAEP session-revoked to /ssf/events when a
# user logs out, and the API refuses that user's older tokens at once. SSF_TRANSMITTER is the transmitter's
# issuer (default: OIDC_ISSUER; empty: no receiver), SSF_PUSH_SECRET the bearer secret every push must carry
# (the dev idp sends the same variable's value).
SSF_TRANSMITTER = env_str("SSF_TRANSMITTER", OIDC_ISSUER)
if SSF_TRANSMITTER:
    SHARED_SIGNALS: dict[str, Any] = {
        "TRANSMITTERS": [
            {
                "ISSUER": SSF_TRANSMITTER,
                "PUSH_AUTHORIZATION": "Bearer " + env_str("SSF_PUSH_SECRET", "dev-only-ssf-push-secret"),
                # Default: <issuer>/.well-known/ssf-configuration (compose: the idp's address on its network).
                "CONFIGURATION_URL": env_str("SSF_CONFIGURATION_URL") or None,
                # Whose tokens its events name (default: the transmitter's own issuer).
                "TOKEN_ISSUERS": env_list("SSF_TOKEN_ISSUERS") or [OIDC_ISSUER],
            }
        ],
        # Longer than any access token lives (the dev idp's last 300 s), plus leeway.
        "STATE_TTL": int(env_float("SSF_STATE_TTL", 3660)),
    }
    JWKS_AUTH["SHARED_SIGNALS"] = SHARED_SIGNALS
# Any other JWKS_AUTH setting (e.g. short timings in multi-process tests), as a
# JSON object: JWKS_AUTH_OVERRIDES='{"KEY_STORE": {"LOCAL_TTL": 1, "UNKNOWN_KID_COOLDOWN": 2}}'.
JWKS_AUTH.update(json.loads(env_str("JWKS_AUTH_OVERRIDES") or "{}"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["jwks_auth.authentication.JWKSAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.FastJSONRenderer",
        "jwks_auth.renderers.TokenSafeBrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.FastContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The browser client at /client/ and the browsable API's "Log in" (client_static).
SPA_CLIENT_ID = env_str("SPA_CLIENT_ID", "spa")
SPA_SCOPE = env_str("SPA_SCOPE", "openid profile email api1")

SPECTACULAR_SETTINGS = {
    "TITLE": "JWKS-protected API",
    "DESCRIPTION": "A Django REST framework API that accepts OAuth 2.0 access tokens verified with the issuer's JWKS.",
    "VERSION": "1.0.0",
    # Swagger UI from the drf-spectacular-sidecar package, served as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The oauth2 security scheme of the schema (jwks_auth.openapi): IdentityServer's
    # (and the dev idp's) endpoint paths; set OIDC_AUTHORIZATION_URL/OIDC_TOKEN_URL
    # for other providers (docs/providers/).
    "OAUTH2_AUTHORIZATION_URL": env_str("OIDC_AUTHORIZATION_URL", f"{OIDC_ISSUER}/connect/authorize"),
    "OAUTH2_TOKEN_URL": env_str("OIDC_TOKEN_URL", f"{OIDC_ISSUER}/connect/token"),
    "SERVE_INCLUDE_SCHEMA": False,  # /api/schema/ itself is not part of the API
    # "Authorize" runs authorization code + PKCE against OIDC_ISSUER as the public
    # client `spa`; the redirect URI is the default ./oauth2-redirect.html next to
    # /api/docs/, i.e. <api>/api/docs/oauth2-redirect.html (registered by seed_idp).
    "SWAGGER_UI_OAUTH2_CONFIG": {
        "clientId": SPA_CLIENT_ID,
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": "api1",
    },
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://localhost:5002,http://127.0.0.1:5002")
CORS_ALLOW_HEADERS = ["authorization", "content-type", "dpop"]
CORS_EXPOSE_HEADERS = ["WWW-Authenticate", "Retry-After", "DPoP-Nonce"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# oidc-client-ts from client_static/node_modules (`make client-deps`, pinned in
# client_static/package.json); served as /static/vendor/oidc-client-ts/*.js.
STATICFILES_DIRS = [
    ("vendor/oidc-client-ts", BASE_DIR / "client_static" / "node_modules" / "oidc-client-ts" / "dist" / "browser"),
]

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "jwks_auth": {"handlers": ["console"], "level": env_str("JWKS_AUTH_LOG_LEVEL", "INFO")},
        # Django logs every 4xx as a warning, which with DEBUG off no handler
        # shows; building those records cost about 20 µs per refused token
        # (make bench: forged-token flood). 5xx errors are still logged.
        "django.request": {"level": env_str("DJANGO_REQUEST_LOG_LEVEL", "WARNING" if DEBUG else "ERROR")},
    },
}
