"""GET / and GET /me through Django's WSGI handler, in one process, no network.

    python -m bench.wsgi_worker '{"number": 2000, "repeats": 5}'
    python -m bench.wsgi_worker '{"settings": "bench.peers.settings", "peer": "simplejwt", ...}'
    python -m bench.wsgi_worker '{"profile": "/me", "number": 20000}'   # pyinstrument's tree instead
    python -m bench.wsgi_worker '{"counted": 300, ...}'   # under callgrind: bench/instructions.py

Separates the application's own cost per request from the HTTP server, the
kernel and wrk, which share the CPUs in the HTTP runs. Times `/`, `/me` with
one repeated token, `/me` with distinct first-seen valid tokens and `/me` with
distinct forged tokens (refused with 401), their repeats interleaved.
Prints one JSON object of microseconds per request.
"""

from __future__ import annotations

import gc
import io
import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any

from bench.timing import best_us_interleaved, each_once, repeat_call

PRODUCT_SETTINGS = "config.settings"


def configure(settings: str, peer: str | None, issuer: str, jwks_uri: str) -> None:
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if settings == PRODUCT_SETTINGS:
        os.environ.update(
            DJANGO_DEBUG="0",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            OIDC_ISSUER=issuer,
            OIDC_AUDIENCE="api1",
            OIDC_JWKS_URI=jwks_uri,
            JWKS_AUTH_LOG_LEVEL="WARNING",
        )
    else:
        os.environ.update(PEER=peer or "jwks_auth", BENCH_ISSUER=issuer, BENCH_JWKS_URI=jwks_uri, BENCH_AUDIENCE="api1")


def client(app: Any) -> Callable[[str, str | None], tuple[str, bytes]]:
    def get(path: str, bearer: str | None) -> tuple[str, bytes]:
        status: list[str] = []

        def start_response(code: str, headers: list[Any], exc_info: Any = None) -> None:
            status.append(code)

        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        if bearer:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        response = app(environ, start_response)
        try:
            return status[0] if status else "", b"".join(response)
        finally:
            getattr(response, "close", lambda: None)()

    return get


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1]) if len(argv) > 1 else {}
    number, repeats = int(spec.get("number", 2000)), int(spec.get("repeats", 5))
    settings, peer, profile = spec.get("settings", PRODUCT_SETTINGS), spec.get("peer"), spec.get("profile")

    from bench.forgery import forged_tokens
    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    provider = JWKSProvider()
    try:
        key = SigningKey.rsa(kid="bench-wsgi")
        provider.set_keys(key)
        token = mint(key, access_claims(provider.issuer, audience="api1", lifetime=3600))
        configure(settings, peer, provider.issuer, provider.jwks_uri)
        from django.core.wsgi import get_wsgi_application

        get = client(get_wsgi_application())
        forged = forged_tokens(key, provider.issuer, 1)[0]
        for path, bearer, expected in (("/", None, "200"), ("/me", token, "200"), ("/me", forged, "401")):
            status, body = get(path, bearer)
            if not status.startswith(expected):
                raise SystemExit(f"GET {path} answered {status}, expected {expected}: {body[:200]!r}")
        if profile:
            return run_profile(get, profile, token, number)
        if "counted" in spec:
            return run_counted(get, token, int(spec["counted"]))

        fresh = max(1, number // 4)  # first-seen and forged tokens: distinct per request, fewer of them
        first_seen = [
            [mint(key, access_claims(provider.issuer, audience="api1", lifetime=3600)) for _ in range(fresh)]
            for _ in range(repeats)
        ]
        forged_batches = [forged_tokens(key, provider.issuer, fresh) for _ in range(repeats)]
        best = best_us_interleaved(
            {
                "root": repeat_call(lambda: get("/", None), number),
                "me": repeat_call(lambda: get("/me", token), number),
                "first_seen": each_once(lambda t: get("/me", t), first_seen),
                "forged": each_once(lambda t: get("/me", t), forged_batches),
            },
            repeats,
        )
        print(
            json.dumps(
                {
                    "root_us": best["root"],
                    "me_us": best["me"],
                    "first_seen_us": best["first_seen"],
                    "forged_us": best["forged"],
                    "number": number,
                    "fresh": fresh,
                    "repeats": repeats,
                    "peer": peer or "product",
                    "settings": settings,
                    "jwks_fetches": provider.jwks_hits,
                }
            )
        )
        return 0
    finally:
        provider.stop()


def run_profile(get: Callable[[str, str | None], tuple[str, bytes]], path: str, token: str, number: int) -> int:
    """pyinstrument's call tree of `number` requests to `path` (bench-only: pyinstrument is a dev requirement)."""
    from pyinstrument import Profiler

    bearer = token if path == "/me" else None
    for _ in range(200):
        get(path, bearer)
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(number):
        get(path, bearer)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))
    return 0


def run_counted(get: Callable[[str, str | None], tuple[str, bytes]], token: str, number: int) -> int:
    """`number` GET / then `number` GET /me, each batch inside one call of ``math.fsum``.

    Run under ``valgrind --tool=callgrind --collect-atstart=no --toggle-collect=math_fsum
    --dump-after=math_fsum`` (bench/instructions.py): callgrind counts only inside ``fsum``, that is
    only the requests, and writes one file per batch. Neither Django nor DRF calls ``fsum``, and
    bench/instructions.py refuses a run that wrote any other number of files.
    """
    for path, bearer in (("/", None), ("/me", token)):
        for _ in range(200):  # warm: imports, first-use settings, the key set, the token cache
            get(path, bearer)

    def request(path: str, bearer: str | None) -> Callable[[int], float]:
        def one(_: int) -> float:
            get(path, bearer)
            return 0.0

        return one

    # The collector off while counting, as timeit does: where its passes fall depends on every allocation
    # before, and moved a batch's count by about 5.6 k instructions per request from one run to the next.
    gc.collect()
    gc.disable()
    try:
        math.fsum(map(request("/", None), range(number)))
        gc.collect()
        math.fsum(map(request("/me", token), range(number)))
    finally:
        gc.enable()
    print(json.dumps({"counted": number}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
