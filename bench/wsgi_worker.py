"""GET / and GET /me through Django's WSGI handler, in one process, no network.

    python -m bench.wsgi_worker '{"number": 2000, "repeats": 5}'

Separates the application's own cost per request from gunicorn, the kernel
and wrk, which share the CPUs in the HTTP runs. Prints one JSON object.
"""
from __future__ import annotations

import io
import json
import os
import sys
from typing import Any

from bench.timing import best_us_interleaved, repeat_call


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1]) if len(argv) > 1 else {}
    number, repeats = int(spec.get("number", 2000)), int(spec.get("repeats", 5))

    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    provider = JWKSProvider()
    try:
        key = SigningKey.rsa(kid="bench-wsgi")
        provider.set_keys(key)
        token = mint(key, access_claims(provider.issuer, audience="api1", lifetime=3600))
        os.environ.pop("REDIS_URL", None)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            OIDC_ISSUER=provider.issuer, OIDC_AUDIENCE="api1", OIDC_JWKS_URI=provider.jwks_uri,
            JWKS_AUTH_LOG_LEVEL="WARNING",
        )
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        status: list[str] = []

        def start_response(code: str, headers: list[Any], exc_info: Any = None) -> None:
            status.append(code)

        def get(path: str, bearer: str | None) -> bytes:
            environ = {
                "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            }
            if bearer:
                environ["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
            response = app(environ, start_response)
            try:
                return b"".join(response)
            finally:
                getattr(response, "close", lambda: None)()

        for path, bearer in (("/", None), ("/me", token)):
            status.clear()
            body = get(path, bearer)
            if not status[0].startswith("200"):
                raise SystemExit(f"GET {path} answered {status[0]}: {body[:200]!r}")
        best = best_us_interleaved(
            {"root": repeat_call(lambda: get("/", None), number), "me": repeat_call(lambda: get("/me", token), number)},
            repeats,
        )
        root, me = best["root"], best["me"]
        print(json.dumps({"root_us": root, "me_us": me, "number": number, "repeats": repeats}))
        return 0
    finally:
        provider.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
