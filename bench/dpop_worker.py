"""The cost of a DPoP request against a Bearer one, through the front door, in a fresh interpreter.

    python -m bench.dpop_worker '{"number": 2000, "repeats": 10}'

One token per scheme, validated once before timing (so both come from the
verified-token cache): ``RequestVerifier().authenticate(request)`` on requests
built beforehand, ``Authorization: Bearer`` with an unbound token, and
``Authorization: DPoP`` with a DPoP-bound token (``cnf.jkt``) and a fresh
proof per request (a new ``jti``, signed before timing: the client's cost is
not counted), once with an EC P-256 client key (ES256) and once with an
Ed25519 one (EdDSA), each with its own bound token. What DPoP adds is the proof's strict JWS parsing, its ES256
verification, its claim and ``htu`` checks and one ``cache.add`` of its
``jti`` (LocMem here, with room for every ``jti``; Redis adds one round trip).
Also timed alone: one bare verification of each algorithm, the floor of that cost.
Prints one JSON object of microseconds per request.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.timing import best_us_interleaved, each_once, repeat_call
from bench.validation_worker import AUDIENCE, one_issuer

URL = "http://testserver/me"


def measure(number: int, repeats: int) -> dict[str, Any]:
    from tests.support import dpop
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    # Room for every proof's jti: a culled LocMem would also drop the shared key entry.
    with one_issuer({"MAX_ENTRIES": 10 * number * (repeats + 1)}, OIDC_DPOP="allowed") as (provider, key):
        from django.conf import settings
        from django.test import RequestFactory

        from jwks_auth.web.request_verifier import RequestVerifier

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # RequestFactory's host, for htu
        clients = {"es256": SigningKey.ec(kid="bench-client"), "eddsa": SigningKey.ed25519(kid="bench-client-ed")}
        bearer = mint(key, access_claims(provider.issuer, audience=AUDIENCE, lifetime=3600))
        bound = {
            name: mint(
                key,
                access_claims(provider.issuer, audience=AUDIENCE, lifetime=3600, cnf={"jkt": dpop.thumbprint(client)}),
            )
            for name, client in clients.items()
        }
        factory = RequestFactory()
        door = RequestVerifier()

        def bearer_requests() -> list[Any]:
            return [factory.get("/me", HTTP_AUTHORIZATION=f"Bearer {bearer}") for _ in range(number)]

        def dpop_requests(name: str) -> list[Any]:
            return [
                factory.get(
                    "/me",
                    HTTP_AUTHORIZATION=f"DPoP {bound[name]}",
                    HTTP_DPOP=dpop.make_proof(clients[name], "GET", URL, token=bound[name]),
                )
                for _ in range(number)
            ]

        # Warm: the key fetch, every token into the verified-token cache, one proof of each key accepted.
        user, token = door.authenticate(bearer_requests()[0])
        for name, client in clients.items():
            user, token = door.authenticate(dpop_requests(name)[0])
            assert token.binding is not None and token.binding.jkt == dpop.thumbprint(client)
        loops = {"bearer": each_once(door.authenticate, [bearer_requests() for _ in range(repeats)])}
        for name, client in clients.items():
            loops[name] = each_once(door.authenticate, [dpop_requests(name) for _ in range(repeats)])
            proof = dpop.make_proof(client, "GET", URL, token=bound[name])
            loops[f"{name}_bare"] = repeat_call(_bare_verify(client, proof), number)
        loops.update(_parts(door, lambda: dpop_requests("es256"), bound["es256"], repeats))
        best = best_us_interleaved(loops, repeats)
        return {
            "bearer_us": best["bearer"],
            "dpop_us": best["es256"],
            "es256_verify_us": best["es256_bare"],
            "eddsa_us": best["eddsa"],
            "eddsa_verify_us": best["eddsa_bare"],
            # Where an ES256 request's time goes, each part timed alone on requests of its own.
            "parts_us": {name: best[f"part_{name}"] for name in PARTS},
            "jwks_fetches": provider.jwks_hits,
        }


#: The parts of a DPoP request timed alone: reading the request (``request_facts``), the proof's check without
#: its replay-store record (parsing, key memo, signature, claims, htu, ath), and that record (one cache.add).
PARTS = ("request", "proof", "replay")


def _parts(door: Any, make_requests: Any, token: str, repeats: int) -> dict[str, Any]:
    """Loops timing each of ``PARTS`` alone, each repeat on requests and proofs of its own."""
    from jwks_auth.sender.components import get_sender_constraints
    from jwks_auth.sender.django_request import request_facts

    verifier = get_sender_constraints().verifier
    batches = [make_requests() for _ in range(repeats)]
    facts = [[request_facts(request) for request in batch] for batch in batches]
    proofs = [
        [(request.META["HTTP_DPOP"], fact) for request, fact in zip(batch, fs, strict=True)]
        for batch, fs in zip(batches, facts, strict=True)
    ]
    checked = [
        [verifier.verify(proof, fact, access_token=token, remember=False) for proof, fact in batch] for batch in proofs
    ]
    return {
        "part_request": each_once(request_facts, batches),
        "part_proof": each_once(
            lambda item: verifier.verify(item[0], item[1], access_token=token, remember=False), proofs
        ),
        "part_replay": each_once(verifier.remember, checked),
    }


def _bare_verify(client_key: Any, proof: str) -> Any:
    """One verification of the proof's signature with a preloaded key (cryptography): ES256 or EdDSA."""
    if client_key.alg == "ES256":
        return _bare_es256(client_key, proof)
    from jwks_auth.keys.material import b64url_decode

    signing_input, _, signature = proof.rpartition(".")
    raw = b64url_decode(signature)
    public = client_key.private_key.public_key()
    data = signing_input.encode("ascii")

    def verify() -> None:
        public.verify(raw, data)

    return verify


def _bare_es256(client_key: Any, proof: str) -> Any:
    """One ES256 verification of the proof's signature with a preloaded key (cryptography)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from jwks_auth.keys.material import b64url_decode

    signing_input, _, signature = proof.rpartition(".")
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = client_key.private_key.public_key()
    data = signing_input.encode("ascii")

    def verify() -> None:
        public.verify(der, data, ec.ECDSA(hashes.SHA256()))

    return verify


def main(argv: list[str]) -> int:
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    print(json.dumps(measure(int(options.get("number", 2000)), int(options.get("repeats", 10)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
