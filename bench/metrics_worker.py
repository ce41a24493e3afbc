"""The cost of Prometheus metrics per authenticated request, in a fresh interpreter.

    python -m bench.metrics_worker '{"number": 20000, "repeats": 15}'

Authenticates one repeated token through ``JWKSAuthentication.authenticate``
with the metrics recorder on and off, their repeats interleaved, and prints
one JSON object of microseconds per request. Run it with
``PROMETHEUS_MULTIPROC_DIR`` set to measure prometheus-client's multiprocess
mode (the values then live in memory-mapped files).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.timing import best_us_interleaved, repeat_call
from bench.validation_worker import AUDIENCE, one_issuer


def measure(number: int, repeats: int) -> dict[str, Any]:
    from tests.support.tokens import access_claims, mint

    with one_issuer() as (provider, key):
        from rest_framework.request import Request
        from rest_framework.test import APIRequestFactory

        from jwks_auth.authentication import JWKSAuthentication
        from jwks_auth.ops import metrics

        token = mint(key, access_claims(provider.issuer, audience=AUDIENCE, lifetime=3600))
        request = Request(APIRequestFactory().get("/me", HTTP_AUTHORIZATION=f"Bearer {token}"))
        authentication = JWKSAuthentication()
        on = metrics.get_recorder()
        if not on.enabled:
            raise SystemExit("prometheus-client is not installed: nothing to measure")
        off = metrics.NullRecorder()

        def authenticate_with(recorder: metrics.NullRecorder) -> Any:
            def call() -> Any:
                metrics._recorder = recorder  # what get_recorder() hands out: the bench's switch
                return authentication.authenticate(request)

            return call

        authenticate_with(on)()  # warm: one key fetch, then the token is cached
        best = best_us_interleaved(
            {"on": repeat_call(authenticate_with(on), number), "off": repeat_call(authenticate_with(off), number)},
            repeats,
        )
        return {
            "metrics_on_us": best["on"],
            "metrics_off_us": best["off"],
            "multiprocess": bool(metrics.multiprocess_dir()),
            "jwks_fetches": provider.jwks_hits,
        }


def main(argv: list[str]) -> int:
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    print(json.dumps(measure(int(options.get("number", 20000)), int(options.get("repeats", 15)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
