"""Settings of the ASGI test project: the library's test settings, plus its URLs and Ninja.

Served by uvicorn (``tests.asgi_app.asgi:application``) in
tests/asgi_app/test_uvicorn.py; the in-process tests use its URLconf on
``tests.settings``.
"""

from tests.settings import *  # noqa: F403 - the same issuer, cache and REST_FRAMEWORK setup

ROOT_URLCONF = "tests.asgi_app.urls"
ASGI_APPLICATION = "tests.asgi_app.asgi.application"
