"""One in-process validation case, run in a fresh interpreter.

    python -m bench.validation_worker '<case json>'

Starts a JWKSProvider, configures Django from config.settings (plus the
case's issuers), validates tokens with the product's validator and prints one
JSON object of microseconds per token on stdout. A fresh process per case
keeps caches, settings and imports from leaking between cases.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bench.timing import best_us_interleaved, each_once, repeat_call

AUDIENCE = "api1"


@dataclass
class Case:
    """What to measure; sizes differ between --smoke and the full run."""

    name: str
    keys: int = 1  # keys in the JWKS; tokens are signed by the last one
    issuers: int = 1  # configured issuers; tokens come from the last one
    pad_bytes: int = 0  # length of a "pad" claim added to every token
    token_len: int = 0  # instead of pad_bytes: pad so tokens are this long
    distinct: int = 1000  # first-seen tokens per repeat
    repeats: int = 7  # best of this many repeats
    number_repeated: int = 20000  # validations of one repeated token per repeat
    number_raw: int = 2000  # jwt.decode calls per repeat
    number_rsa: int = 5000  # bare RSA verifications per repeat
    warm_set: int = 0  # >0: also time a cycle over this many already-seen tokens

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


@dataclass
class CaseResult:
    name: str
    token_bytes: int
    raw_jwt_decode_us: float
    rsa_verify_us: float
    first_seen_us: float
    repeated_us: float
    warm_set_us: float | None = None
    jwks_fetches: int = 0
    validator: str = ""
    notes: list[str] = field(default_factory=list)


@contextmanager
def one_issuer(cache_options: dict[str, Any] | None = None, **environ: str) -> Iterator[tuple[Any, Any]]:
    """A JWKSProvider serving one RSA key, Django configured for it alone; yields (provider, signing key)."""
    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey

    provider = JWKSProvider()
    try:
        key = SigningKey.rsa(kid="bench-key")
        provider.set_keys(key)
        entries = [{"ISSUER": provider.issuer, "AUDIENCE": [AUDIENCE], "JWKS_URI": provider.jwks_uri}]
        os.environ.update(
            OIDC_ISSUER=provider.issuer,
            OIDC_AUDIENCE=AUDIENCE,
            OIDC_JWKS_URI=provider.jwks_uri,
            JWKS_AUTH_LOG_LEVEL="WARNING",
            **environ,
        )
        configure_django(entries, single=True, cache_options=cache_options)
        yield provider, key
    finally:
        provider.stop()


def configure_django(
    issuer_entries: list[dict[str, Any]], single: bool, cache_options: dict[str, Any] | None = None
) -> None:
    """settings.configure() from config.settings, with the case's issuers (and the LocMem cache's OPTIONS)."""
    import django
    from django.conf import settings

    import config.settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    jwks_auth = dict(values["JWKS_AUTH"])
    if not single:
        for key in ("ISSUER", "AUDIENCE", "JWKS_URI"):
            jwks_auth.pop(key, None)
        jwks_auth["ISSUERS"] = issuer_entries
    values["JWKS_AUTH"] = jwks_auth
    values["DEBUG"] = False
    # In-process figures always use the per-process LocMem cache, whatever REDIS_URL says.
    values["CACHES"] = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            **({"OPTIONS": cache_options} if cache_options else {}),
        }
    }
    settings.configure(**values)
    django.setup()


def load_validator() -> tuple[Callable[[str], Any], str]:
    """The product's token validator and how it was obtained."""
    from jwks_auth.validation.validator import get_validator

    validator = get_validator()
    return validator.validate, "jwks_auth.validation.validator.get_validator().validate(token)"


def _pad_for_length(make: Callable[[int], str], target: int) -> int:
    """The pad length that makes `make(pad)` at most `target` characters long."""
    pad = max(0, (target - len(make(0))) * 3 // 4)
    while pad > 0 and len(make(pad)) > target:
        pad -= 4
    return pad


def run_case(case: Case) -> CaseResult:
    import jwt

    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    provider = JWKSProvider()
    try:
        keys = [SigningKey.rsa(kid=f"bench-key-{i}") for i in range(case.keys)]
        provider.set_keys(*keys)
        key = keys[-1]
        if case.issuers == 1:
            issuer = provider.issuer
            entries = [{"ISSUER": issuer, "AUDIENCE": [AUDIENCE], "JWKS_URI": provider.jwks_uri}]
        else:
            entries = [
                {
                    "ISSUER": f"{provider.base_url}/tenant-{i}",
                    "AUDIENCE": [AUDIENCE],
                    "JWKS_URI": f"{provider.jwks_uri}?tenant={i}",
                }
                for i in range(case.issuers)
            ]
            issuer = entries[-1]["ISSUER"]
        os.environ.update(
            OIDC_ISSUER=provider.issuer,
            OIDC_AUDIENCE=AUDIENCE,
            OIDC_JWKS_URI=provider.jwks_uri,
            JWKS_AUTH_LOG_LEVEL="WARNING",
        )
        configure_django(entries, single=case.issuers == 1)
        validate, how = load_validator()

        def token(pad: int) -> str:
            extra = {"pad": "x" * pad} if pad else {}
            return mint(key, access_claims(issuer, audience=AUDIENCE, lifetime=3600, **extra))

        pad = _pad_for_length(token, case.token_len) if case.token_len else case.pad_bytes

        # Warm the key cache (one JWKS fetch over HTTP) and check the claims.
        warm = token(pad)
        claims = validate(warm).claims
        if claims.get("iss") != issuer or claims.get("scope") != "api1":
            raise SystemExit(f"validator returned unexpected claims: {sorted(claims)}")

        repeated = token(pad)
        validate(repeated)
        header_payload, _, sig_b64 = repeated.rpartition(".")
        signing_input = header_payload.encode("ascii")
        signature = jwt.utils.base64url_decode(sig_b64)
        public_key = key.public_key

        def raw_decode() -> Any:
            return jwt.decode(repeated, public_key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer)

        def rsa_verify() -> None:
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())

        raw_decode()
        rsa_verify()
        batches = [[token(pad) for _ in range(case.distinct)] for _ in range(case.repeats)]
        loops = {
            "raw": repeat_call(raw_decode, case.number_raw),
            "rsa": repeat_call(rsa_verify, case.number_rsa),
            "first": each_once(validate, batches),
            "repeated": repeat_call(lambda: validate(repeated), case.number_repeated),
        }
        if case.warm_set:
            seen = [token(pad) for _ in range(case.warm_set)]
            for t in seen:
                validate(t)
            cycle = seen * max(1, case.number_repeated // case.warm_set)
            loops["warm"] = each_once(validate, [cycle] * case.repeats)
        best = best_us_interleaved(loops, case.repeats)
        result = CaseResult(
            name=case.name,
            token_bytes=len(repeated),
            raw_jwt_decode_us=best["raw"],
            rsa_verify_us=best["rsa"],
            first_seen_us=best["first"],
            repeated_us=best["repeated"],
            warm_set_us=best.get("warm"),
            validator=how,
        )
        result.jwks_fetches = provider.jwks_hits
        return result
    finally:
        provider.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    case = Case(**json.loads(argv[1]))
    print(json.dumps(asdict(run_case(case))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
