"""The API over Redis with Sentinel while the primary is SIGKILLed: what is lost, and how often a DPoP proof replays.

``make serve``'s command (granian, ``workers`` processes) runs the sample with ``REDIS_SENTINELS`` (django-redis's
SentinelClient) over ``tests/support/sentinel.SentinelRedis``; the provider is the loopback ``JWKSProvider``.
Bearer traffic (valid and forged tokens) flows the whole time while a DPoP client sends each fresh proof once. The
primary is SIGKILLed ``rounds`` times (each failover is waited for, bounded); after each, every proof accepted in the
two seconds before the kill is sent again, and the last one is fired ``repeats`` times more. With two replicas
and no restart, at most two rounds. Figures: valid
requests lost, forged accepted, 5xx (Bearer), the DPoP requests refused with 503 while no primary answered (by
design: a replay cannot be ruled out), and replayed proofs accepted (the bound: 0).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.project.stack import start_serve
from tests.support.dpop import make_proof, thumbprint
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.sentinel import SERVICE, SentinelRedis
from tests.support.tokens import access_claims, mint

REQUEST_TIMEOUT = 10.0
KEY_STORE = {"DEFAULT_TTL": 3, "MIN_TTL": 1, "LOCAL_TTL": 1, "RETRY_INTERVAL": 1, "UNKNOWN_KID_COOLDOWN": 2}


def _bearer(url: str, tokens: list[str], forged: list[str], stop: threading.Event, tally: Counter[str]) -> None:
    session = requests.Session()
    for i in range(200_000):
        if stop.is_set():
            break
        kind, token = ("forged", forged[i % len(forged)]) if i % 5 == 4 else ("valid", tokens[i % len(tokens)])
        try:
            status = session.get(url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT)
            code = status.status_code
        except requests.RequestException:
            code = 0
            session = requests.Session()
        tally[f"{kind}:{code}"] += 1
    session.close()


def _dpop_call(session: requests.Session, url: str, token: str, proof: str) -> int:
    try:
        headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
        return session.get(url + "/me", headers=headers, timeout=REQUEST_TIMEOUT).status_code
    except requests.RequestException:
        return 0


def soak(directory: Path, *, rounds: int = 1, repeats: int = 20, workers: int = 2, bearer_threads: int = 2) -> Any:
    key = SigningKey.rsa(kid="failover-key", fresh=True)
    impostor = SigningKey.rsa(kid="failover-key", fresh=True)
    dpop_key = SigningKey.ec(kid="dpop-client")
    provider = JWKSProvider()
    provider.set_keys(key)
    try:
        with SentinelRedis(directory / "redis") as redis_set:
            env = {
                "OIDC_ISSUER": provider.issuer,
                "OIDC_AUDIENCE": "api1",
                "OIDC_JWKS_URI": provider.jwks_uri,
                "REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in redis_set.sentinel_addresses),
                "REDIS_SENTINEL_SERVICE": SERVICE,
                "JWKS_AUTH_OVERRIDES": json.dumps({"KEY_STORE": KEY_STORE, "HTTP": {"TIMEOUT": [0.5, 1.0]}}),
            }
            server = start_serve(directory, env, workers=workers, name="failover-api")
            try:
                figures = _run(
                    server.url, redis_set, provider, key, impostor, dpop_key, rounds, repeats, bearer_threads
                )
            finally:
                server.stop(show_log_lines=0)
            figures["tracebacks_in_log"] = server.logs().count("Traceback")
            return figures
    finally:
        provider.stop()


def _run(
    url: str,
    redis_set: SentinelRedis,
    provider: JWKSProvider,
    key: SigningKey,
    impostor: SigningKey,
    dpop_key: SigningKey,
    rounds: int,
    repeats: int,
    bearer_threads: int,
) -> dict[str, Any]:
    tokens = [mint(key, access_claims(provider.issuer, lifetime=900)) for _ in range(32)]
    forged = [mint(impostor, access_claims(provider.issuer, lifetime=900)) for _ in range(4)]
    bound = mint(key, access_claims(provider.issuer, lifetime=900, cnf={"jkt": thumbprint(dpop_key)}))
    stop = threading.Event()
    tally: Counter[str] = Counter()
    dpop = Counter[str]()
    failovers: list[float] = []
    replayed_accepted = 0
    replays = 0
    with ThreadPoolExecutor(bearer_threads) as pool:
        futures = [pool.submit(_bearer, url, tokens, forged, stop, tally) for _ in range(bearer_threads)]
        session = requests.Session()
        try:
            failed_over_at = 0.0
            for round_index in range(rounds):
                if round_index:
                    redis_set.ready_for_next_failover(failed_over_at)
                sent: list[tuple[float, str, int]] = []
                kill_at = time.monotonic() + 3.0
                while time.monotonic() < kill_at:  # fresh proofs, each once, up to the kill
                    proof = make_proof(dpop_key, "GET", url + "/me", token=bound)
                    status = _dpop_call(session, url, bound, proof)
                    sent.append((time.monotonic(), proof, status))
                    dpop[f"fresh:{status}"] += 1
                old = redis_set.primary_port()
                assert old is not None
                killed_at = time.monotonic()
                redis_set.kill_primary()
                last = next((p for t, p, s in reversed(sent) if s == 200), None)
                # One proof fired again and again while the sentinels fail over, then after.
                deadline = time.monotonic() + 30
                while last is not None and redis_set.primary_port() in (old, None) and time.monotonic() < deadline:
                    status = _dpop_call(session, url, bound, last)
                    replays += 1
                    replayed_accepted += status == 200
                    dpop[f"replay:{status}"] += 1
                    time.sleep(0.05)
                redis_set.wait_for_failover(old)
                failed_over_at = time.monotonic()
                failovers.append(round(time.monotonic() - killed_at, 2))
                time.sleep(1.0)  # the workers' connections move to the new primary
                recent = [p for t, p, s in sent if s == 200 and t >= kill_at - 2.0]
                for proof in [*recent, *([last] * repeats if last else [])]:
                    status = _dpop_call(session, url, bound, proof)
                    replays += 1
                    replayed_accepted += status == 200
                    dpop[f"replay:{status}"] += 1
                redis_set.servers = [s for s in redis_set.servers if s.port != old]
        finally:
            stop.set()
            for future in futures:
                future.result(timeout=REQUEST_TIMEOUT * 3)
            session.close()
    valid = {k: n for k, n in tally.items() if k.startswith("valid:")}
    return {
        "failover_s": failovers,
        "valid": sum(valid.values()),
        "valid_lost": sum(n for k, n in valid.items() if k != "valid:200"),
        "forged": sum(n for k, n in tally.items() if k.startswith("forged:")),
        "forged_accepted": tally["forged:200"],
        "5xx": sum(n for k, n in tally.items() if int(k.split(":")[1]) >= 500),
        "dpop_fresh": sum(n for k, n in dpop.items() if k.startswith("fresh:")),
        "dpop_fresh_503": dpop["fresh:503"],
        "dpop_replays": replays,
        "dpop_replays_accepted": replayed_accepted,
        "dpop_statuses": dict(sorted(dpop.items())),
    }
