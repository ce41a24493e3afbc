"""The library's test settings: only what jwks_auth needs, nothing of the sample project.

The suite runs against the installed wheel too (noxfile.py), so nothing here
imports ``config``, ``api``, ``idp`` or ``client_static``. Worker processes
started by the tests (gunicorn in tests/keys) read the same module and take
their issuer and timings from the environment: ``TEST_JWKS_AUTH`` (a JSON
object, the whole ``JWKS_AUTH``) and ``TEST_REDIS_URL``.
"""

from __future__ import annotations

import json
import os

SECRET_KEY = os.environ.get("TEST_SECRET_KEY", "jwks-auth-library-tests")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "drf_spectacular",  # the `openapi` extra: jwks_auth.openapi is tested too
    "jwks_auth",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.urls"
WSGI_APPLICATION = "tests.wsgi.application"

TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_REDIS_URL = os.environ.get("TEST_REDIS_URL")
if _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The tests set JWKS_AUTH per test (tests/conftest.py: jwks_config).
JWKS_AUTH = json.loads(os.environ.get("TEST_JWKS_AUTH") or "{}")
# The scopes the test /me view needs (tests/views.py); a setting of the test project, not of jwks_auth.
ME_REQUIRED_SCOPES = ["api1"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["jwks_auth.authentication.JWKSAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "jwks_auth.renderers.TokenSafeBrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "jwks_auth tests",
    "OAUTH2_AUTHORIZATION_URL": "https://idp.example.com/connect/authorize",
    "OAUTH2_TOKEN_URL": "https://idp.example.com/connect/token",
    "SERVE_INCLUDE_SCHEMA": False,
}

STATIC_URL = "/static/"  # Django's live_server serves static files and needs one
USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"jwks_auth": {"handlers": ["console"], "level": "INFO"}},
}
