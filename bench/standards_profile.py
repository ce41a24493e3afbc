"""What the FAPI 2.0 profile, RFC 8693 delegation and RFC 9701 signed introspection cost, used and unused.

    python -m bench.standards_profile [--smoke]

In one fresh interpreter, against a loopback JWKS provider (RSA and EC keys), microseconds per operation,
the best of the repeats:

* ``bearer``: ``RequestVerifier.verify`` of a cached RS256 bearer token, no feature set (the baseline);
  ``bearer_actors``: the same with ``ACCEPTED_ACTORS`` set (unused by a token without ``act``);
* ``dpop``: a DPoP-bound ES256 token with a fresh ES256 proof per request, no profile; ``dpop_fapi2``: the
  same under ``SECURITY_PROFILE`` fapi2 (the profile's cost on an accepted request);
  ``unbound_fapi2``: the refusal of a cached unbound token under fapi2;
* ``first_seen``: ``TokenValidator.validate`` without the verified-token cache (signature and claim rules)
  of a token without ``act``; ``first_seen_act``: of a token with a two-actor ``act`` under
  ``ACCEPTED_ACTORS`` (the delegation rule's cost, paid once per token);
* ``introspection_json``: reading a plain RFC 7662 answer (``json.loads``); ``introspection_jwt``:
  verifying the same answer signed (RFC 9701, RS256, key in memory), paid once per introspection.

Prints a table and, last, one JSON object of the figures.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.timing import best_us_per_op
from bench.validation_worker import AUDIENCE, one_issuer


def _apply(**overrides: Any) -> None:
    from django.conf import settings

    from jwks_auth.conf.settings import jwks_settings

    base = dict(settings.JWKS_AUTH)
    for name in ("SECURITY_PROFILE", "ACCEPTED_ACTORS", "ALGORITHMS", "DPOP"):
        base.pop(name, None)
    settings.JWKS_AUTH = {**base, "ALGORITHMS": ["RS256", "ES256"], **overrides}
    jwks_settings.reload()


def _loop(fn: Any, items: list[list[Any]]) -> Any:
    def loop(i: int) -> int:
        for item in items[i]:
            fn(item)
        return len(items[i])

    return loop


def measure(number: int, repeats: int) -> dict[str, float]:
    from tests.support import dpop
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    with one_issuer() as (provider, rsa_key):
        from django.conf import settings
        from django.test import RequestFactory

        from jwks_auth.web.request_verifier import Refusal, RequestVerifier

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # RequestFactory's host, for htu
        ec_key = SigningKey.ec(kid="bench-ec")
        provider.set_keys(rsa_key, ec_key)
        factory = RequestFactory()
        verifier = RequestVerifier(get_user=lambda token: None)
        figures: dict[str, float] = {}

        def claims(**extra: Any) -> dict[str, Any]:
            return access_claims(provider.issuer, audience=AUDIENCE, lifetime=3600, **extra)

        def bearer_case(name: str, token: str) -> None:
            def request(_: Any) -> Any:
                return factory.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}")

            verifier.authenticate(request(None))  # warm: keys fetched, token cached
            requests = [[request(None) for _ in range(number)] for _ in range(repeats)]
            figures[name] = best_us_per_op(_loop(verifier.authenticate, requests), repeats)

        # -- unused: the baseline, and the same with ACCEPTED_ACTORS set --------------------------------
        plain = mint(rsa_key, claims())
        _apply()
        bearer_case("bearer", plain)
        _apply(ACCEPTED_ACTORS=["svc"])
        bearer_case("bearer_actors", plain)

        # -- DPoP-bound ES256, without and with the profile -------------------------------------------
        proof_key = SigningKey.ec(kid="client")
        bound = mint(ec_key, claims(cnf={"jkt": dpop.thumbprint(proof_key)}))

        def dpop_requests() -> list[list[Any]]:
            return [
                [
                    factory.get(
                        "/me",
                        HTTP_AUTHORIZATION=f"DPoP {bound}",
                        HTTP_DPOP=dpop.make_proof(proof_key, "GET", "http://testserver/me", token=bound),
                    )
                    for _ in range(number)
                ]
                for _ in range(repeats)
            ]

        for name, overrides in (("dpop", {}), ("dpop_fapi2", {"SECURITY_PROFILE": "fapi2"})):
            _apply(**overrides)
            warm = dpop_requests()[0][0]
            verifier.authenticate(warm)
            figures[name] = best_us_per_op(_loop(verifier.authenticate, dpop_requests()), repeats)

        unbound = mint(ec_key, claims())

        def refused(request: Any) -> None:
            try:
                verifier.authenticate(request)
            except Refusal:
                return
            raise AssertionError("an unbound token was accepted under fapi2")

        _apply(SECURITY_PROFILE="fapi2")
        requests = [
            [factory.get("/me", HTTP_AUTHORIZATION=f"Bearer {unbound}") for _ in range(number)] for _ in range(repeats)
        ]
        figures["unbound_fapi2"] = best_us_per_op(_loop(refused, requests), repeats)

        # -- first-seen validation: the delegation rule, paid once per token ----------------------------
        from jwks_auth.validation.validator import get_validator

        chain = {"sub": "svc", "iss": provider.issuer, "act": {"sub": "gateway"}}
        for name, token, overrides in (
            ("first_seen", plain, {}),
            ("first_seen_act", mint(rsa_key, claims(act=chain)), {"ACCEPTED_ACTORS": ["svc"]}),
        ):
            _apply(**overrides)
            validator = get_validator()
            validator.validate(token, use_cache=False)
            batch = [[token] * number for _ in range(repeats)]
            figures[name] = best_us_per_op(
                _loop(lambda item, v=validator: v.validate(item, use_cache=False), batch), repeats
            )

        # -- RFC 9701: one signed answer against one plain answer -----------------------------------------
        from jwks_auth.validation.signed_introspection import MEDIA_TYPE, verified_answer

        _apply()
        validator = get_validator()
        config, store = validator.registry.only  # type: ignore[misc]
        answer = {"active": True, "sub": "818727", "scope": "api1", "exp": int(time.time()) + 3600}
        body = json.dumps(answer).encode()
        figures["introspection_json"] = best_us_per_op(_loop(json.loads, [[body] * number] * repeats), repeats)
        signed_claims = {"iss": provider.issuer, "aud": "api1", "iat": int(time.time()), "token_introspection": answer}
        signed = mint(rsa_key, signed_claims, typ="token-introspection+jwt").encode()

        def verify(item: bytes) -> Any:
            return verified_answer(item, MEDIA_TYPE, config, store, "api1", time.time())

        verify(signed)
        figures["introspection_jwt"] = best_us_per_op(_loop(verify, [[signed] * number] * repeats), repeats)
        return figures


ROWS = (
    ("bearer", "cached bearer token, no feature set (baseline)"),
    ("bearer_actors", "the same, ACCEPTED_ACTORS set (token without act)"),
    ("dpop", "DPoP-bound ES256 token + ES256 proof, no profile"),
    ("dpop_fapi2", "the same under SECURITY_PROFILE fapi2"),
    ("unbound_fapi2", "unbound token refused under fapi2"),
    ("first_seen", "first-seen token (no cache), no act"),
    ("first_seen_act", "first-seen token with a 2-actor act, ACCEPTED_ACTORS"),
    ("introspection_json", "plain introspection answer read (json.loads)"),
    ("introspection_jwt", "RFC 9701 signed answer verified (RS256)"),
)


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    number, repeats = (200, 3) if smoke else (2000, 7)
    figures = measure(number, repeats)
    for name, label in ROWS:
        print(f"{label:<60} {figures[name]:9.2f} us")
    print(json.dumps({name: round(value, 3) for name, value in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
