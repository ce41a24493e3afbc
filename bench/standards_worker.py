"""The per-request cost of the newer resource-server standards at the endpoint, in a fresh interpreter.

    python -m bench.standards_worker '{"number": 5000, "repeats": 10}'

``EndpointCheck.check(request)`` (the Ninja auth's and the decorators' core)
on requests built beforehand, the token already in the verified-token cache:
"scopes" asks for scope ``api1`` only (the baseline: what an endpoint that
uses none of these features pays), "step-up" also for RFC 9470's ``acr``
(one of two values) and ``max_age`` (the token carries both claims),
"details" for one RFC 9396 ``authorization_details`` requirement (a type and
an action) that the second of the token's two details covers. The
differences are what each check adds. Prints one JSON object of
microseconds per request.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.timing import best_us_interleaved, each_once
from bench.validation_worker import AUDIENCE, one_issuer


def measure(number: int, repeats: int) -> dict[str, Any]:
    from tests.support.tokens import access_claims, mint

    with one_issuer() as (provider, key):
        from django.test import RequestFactory

        from jwks_auth.web.endpoint_check import EndpointCheck

        token = mint(
            key,
            access_claims(
                provider.issuer,
                audience=AUDIENCE,
                lifetime=3600,
                acr="urn:mfa",
                auth_time=int(time.time()) - 30,
                authorization_details=[
                    {"type": "account_information", "actions": ["read"], "identifier": "DE-1"},
                    {"type": "payment_initiation", "actions": ["initiate", "status"], "datatypes": ["amount"]},
                ],
            ),
        )
        factory = RequestFactory()
        checks = {
            "scopes": EndpointCheck(["api1"]),
            "step_up": EndpointCheck(["api1"], acr=["urn:mfa", "urn:hwk"], max_age=300),
            "details": EndpointCheck(
                ["api1"], authorization_details=[{"type": "payment_initiation", "actions": ["initiate"]}]
            ),
        }

        def batches() -> list[list[Any]]:
            return [[factory.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}") for _ in range(number)]] * repeats

        for check in checks.values():  # warm: the key fetch, the token into the verified-token cache
            check.check(factory.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}"))
        best = best_us_interleaved({name: each_once(check.check, batches()) for name, check in checks.items()}, repeats)
        return {"scopes_us": best["scopes"], "step_up_us": best["step_up"], "details_us": best["details"]}


def main(argv: list[str]) -> int:
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    print(json.dumps(measure(int(options.get("number", 5000)), int(options.get("repeats", 10)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
