"""
Settings for the dev identity server (port 5000), built on django-oauth-toolkit.

    python manage.py runserver 5000 --settings=idp.settings

It plays the IdentityServer4 of the original sample: discovery, a JWKS with
the signing certificate, RS256 JWT access tokens (RFC 9068) for the API, and
OpenID Connect with PKCE for the browser client. Development only.
"""

from __future__ import annotations

from pathlib import Path

from config.env import env_bool, env_float, env_list, env_str

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
SECRET_KEY = env_str("IDP_SECRET_KEY", "dev-only-insecure-idp-secret-key-change-me")
ALLOWED_HOSTS = env_list("IDP_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],idp")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "corsheaders",
    "oauth2_provider",
    "idp",
]

# No X-Frame-Options middleware on purpose: the browser client renews tokens
# silently with /connect/authorize?prompt=none in a hidden iframe.
MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "idp.urls"
WSGI_APPLICATION = "idp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,  # idp/templates comes first: it overrides DOT's base.html
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.csrf",
            ],
        },
    },
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "idp.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The API on :5002 shares the "localhost" cookie jar (cookies ignore ports), so
# the idp's cookies get their own names.
SESSION_COOKIE_NAME = "idp_sessionid"
CSRF_COOKIE_NAME = "idp_csrftoken"
# No Cross-Origin-Opener-Policy header: Swagger UI on the API signs in through a
# popup that must keep window.opener while it visits the idp's pages.
SECURE_CROSS_ORIGIN_OPENER_POLICY = None
LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- signing key (see certs/README.md) --------------------------------------
IDP_SIGNING_KEY_PATH = Path(env_str("IDP_SIGNING_KEY", str(BASE_DIR / "certs" / "signing-key.pem")))
IDP_SIGNING_CERT_PATH = Path(env_str("IDP_SIGNING_CERT", str(BASE_DIR / "certs" / "signing-cert.pem")))


def _read(path: Path) -> str:
    # A missing key must not break `create_signing_cert`, which runs with these
    # settings; the idp.E001 system check stops every other command instead.
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        return ""


IDP_SIGNING_KEY_PEM = _read(IDP_SIGNING_KEY_PATH)
IDP_SIGNING_CERT_PEM = _read(IDP_SIGNING_CERT_PATH)

# --- OAuth 2.0 / OpenID Connect ----------------------------------------------
IDP_ISSUER = env_str("IDP_ISSUER", "http://localhost:5000").rstrip("/")
IDP_ACCESS_TOKEN_AUDIENCE = env_str("IDP_ACCESS_TOKEN_AUDIENCE", "api1")
IDP_ACCESS_TOKEN_LIFETIME = int(env_float("IDP_ACCESS_TOKEN_LIFETIME", 300))
# client_id -> scopes it may request (idp.oauth.ClientScopes); both seeded by seed_idp.
IDP_CLIENT_SCOPES = {
    "client": ["api1"],
    "spa": ["openid", "profile", "email", "api1"],
}

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": IDP_ISSUER,
    "OIDC_RSA_PRIVATE_KEY": IDP_SIGNING_KEY_PEM,
    "OIDC_JWKS_MAX_AGE_SECONDS": 3600,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # Log out and redirect straight away when the id_token_hint matches the session.
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "SCOPES": {
        "openid": "Your user identifier",
        "profile": "Your name, website and address",
        "email": "Your email address",
        "api1": "The sample API",
    },
    "SCOPES_BACKEND_CLASS": "idp.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "idp.oauth.Validator",
    "ACCESS_TOKEN_GENERATOR": "idp.tokens.access_token_generator",
    # oauthlib would reuse ACCESS_TOKEN_GENERATOR for refresh tokens; keep those opaque.
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": IDP_ACCESS_TOKEN_LIFETIME,
    "ID_TOKEN_EXPIRE_SECONDS": IDP_ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 8 * 3600,
    # Rotated on every use; replaying a used one revokes its whole family (RFC 9700 4.14.2).
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "PKCE_REQUIRED": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    # RFC 9700 gates: no implicit or password grant, S256 only, no tokens in
    # query strings, and only token checksums stored at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# --- Shared Signals transmitter (idp.ssf) ---------------------------------------
# Where session-revoked events are pushed (RFC 8935); empty: none are.
IDP_SSF_PUSH_URL = env_str("IDP_SSF_PUSH_URL", "http://localhost:5002/ssf/events")
# The Authorization header the API's receiver expects (its SHARED_SIGNALS PUSH_AUTHORIZATION, SSF_PUSH_SECRET).
IDP_SSF_PUSH_AUTHORIZATION = "Bearer " + env_str("SSF_PUSH_SECRET", "dev-only-ssf-push-secret")
# Seconds a push may take: a logout never waits longer for an API that is down.
IDP_SSF_PUSH_TIMEOUT = env_float("IDP_SSF_PUSH_TIMEOUT", 2.0)
# The SETs' aud: the API's audience.
IDP_SSF_AUDIENCE = env_str("IDP_SSF_AUDIENCE", IDP_ACCESS_TOKEN_AUDIENCE)

# CORS for the endpoints a browser app calls directly (not the login pages).
CORS_ALLOWED_ORIGINS = env_list("IDP_CORS_ALLOWED_ORIGINS", "http://localhost:5002,http://127.0.0.1:5002")
CORS_URLS_REGEX = r"^/(connect/(token|userinfo|revocation)|\.well-known/.*)$"
# x-requested-with: Swagger UI sends it with its token request.
# dpop: browser clients send a DPoP proof with their token requests (idp.dpop).
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-requested-with", "dpop"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "idp-staticfiles"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "idp.log.RedactTokens"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["redact_tokens"]},
    },
    "loggers": {
        "oauth2_provider": {"handlers": ["console"], "level": env_str("IDP_LOG_LEVEL", "WARNING")},
        "idp.ssf": {"handlers": ["console"], "level": "INFO"},
        # runserver's access log, minus id_token_hint and friends.
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
