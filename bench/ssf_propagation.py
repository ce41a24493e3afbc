"""Shared Signals: the added cost per request with the receiver on, and how fast a revocation reaches a fleet.

    python -m bench.ssf_propagation [--rounds 20] [--number 200000]

1. Cost: ``TokenValidator.validate`` of a token in the verified-token cache,
   with and without ``SHARED_SIGNALS`` (the epoch read every 250 ms included,
   over a local Redis when one is given, else LocMem), in this process.
2. Propagation: two gunicorn "hosts" with two sync workers each over one
   redis-server; per round a new subject's token flows to both hosts from
   four threads, a ``session-revoked`` SET is pushed to host A, and the
   round's time is the latest send time of a request still answered 200,
   after the push. p50/p99/max over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.ssf_fleet import ReceivingFleet

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure_cost(number: int, redis_url: str | None) -> dict[str, float]:
    """Microseconds per cached-token validation, without and with the receiver's check."""
    from tests.support.jwks_server import JWKSProvider
    from tests.support.keys import SigningKey
    from tests.support.tokens import access_claims, mint

    signing = SigningKey.rsa(kid="bench")
    provider = JWKSProvider()
    provider.set_keys(signing)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    if redis_url:
        os.environ["TEST_REDIS_URL"] = redis_url
    import django

    django.setup()
    from django.conf import settings

    from jwks_auth.conf.settings import jwks_settings
    from jwks_auth.validation.validator import get_validator

    token = mint(signing, access_claims(provider.issuer, sub="alice", sid="s1"))
    results = {}
    try:
        for label, extra in (
            ("off", {}),
            ("on", {"SHARED_SIGNALS": {"TRANSMITTERS": [{"ISSUER": "https://t.example"}]}}),
        ):
            settings.JWKS_AUTH = {"ISSUER": provider.issuer, "AUDIENCE": ["api1"], **extra}
            jwks_settings.reload()
            validator = get_validator()
            validator.validate(token)
            best = float("inf")
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(number):
                    validator.validate(token)
                best = min(best, (time.perf_counter() - started) / number * 1e6)
            results[label] = best
    finally:
        provider.stop()
    results["added"] = results["on"] - results["off"]
    return results


def measure_propagation(rounds: int, directory: Path) -> dict[str, float]:
    from tests.support.ssf_fleet import receiving_fleet

    with receiving_fleet(directory, hosts=2, workers=2) as fleet:
        times = [_one_round(index, fleet) for index in range(rounds)]
    return {
        "rounds": len(times),
        "p50_ms": _percentile(times, 0.5) * 1e3,
        "p99_ms": _percentile(times, 0.99) * 1e3,
        "max_ms": max(times) * 1e3,
    }


def _one_round(index: int, fleet: ReceivingFleet) -> float:
    """Seconds from the push of one subject's revocation to the last 200 any host gave its token."""
    import requests

    from tests.support.ssf_transmitter import CAEP, session_subject
    from tests.support.tokens import access_claims, mint

    hosts = [host.url for host in fleet.hosts]
    issuer, transmitter = fleet.provider.issuer, fleet.transmitter
    sid = f"s{index}"
    token = mint(fleet.signing, access_claims(issuer, sub=f"user{index}", sid=sid, iat=int(time.time()) - 30))
    last_ok = [0.0]
    pushed = [float("inf")]
    stop = threading.Event()
    lock = threading.Lock()

    def traffic(url: str) -> None:
        while not stop.is_set():
            with requests.Session() as session:
                for _ in range(5):
                    sent = time.monotonic()
                    try:
                        status = session.get(
                            url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
                        ).status_code
                    except requests.RequestException:
                        continue
                    if status == 200 and sent > pushed[0]:
                        with lock:
                            last_ok[0] = max(last_ok[0], sent)

    threads = [threading.Thread(target=traffic, args=(url,)) for url in hosts for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every worker has the token cached
    event = transmitter.make_set(CAEP + "session-revoked", session_subject(issuer, f"user{index}", sid))
    pushed[0] = time.monotonic()
    answer = transmitter.push(hosts[0] + "/ssf/events", event)
    if answer.status_code != 202:
        raise RuntimeError(f"push answered {answer.status_code}")
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return max(0.0, last_ok[0] - pushed[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--number", type=int, default=200000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ssf-bench-") as directory:
        propagation = measure_propagation(args.rounds, Path(directory))
        cost = measure_cost(args.number, None)
    print(json.dumps({"cost_us": cost, "propagation": propagation}, indent=2))


if __name__ == "__main__":
    main()
