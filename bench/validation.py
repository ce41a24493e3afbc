"""In-process validation: which cases to run, and running each in a fresh process."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.procs import WORKER_ENV_DROPPED, run_worker
from bench.validation_worker import Case, CaseResult

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAX_TOKEN_LENGTH = 16384


def max_token_length() -> tuple[int, str]:
    """The product's token size limit and where it came from."""
    try:
        from jwks_auth.validation.validator import TokenValidator

        return int(TokenValidator.max_length), "jwks_auth.validation.validator.TokenValidator.max_length"
    except (ImportError, AttributeError):
        return DEFAULT_MAX_TOKEN_LENGTH, "assumed (jwks_auth has no TokenValidator.max_length)"


def cases(smoke: bool) -> list[Case]:
    """The core case (µs per token, all four measures) then the growth cases."""
    if smoke:
        core = Case("core", distinct=20, repeats=2, number_repeated=200, number_raw=20, number_rsa=50, warm_set=20)
        scale = dict(distinct=10, repeats=2, number_repeated=100, number_raw=10, number_rsa=20)
    else:  # many short repeats: on a shared machine the best of them is the undisturbed one
        core = Case(
            "core", distinct=500, repeats=15, number_repeated=10000, number_raw=1000, number_rsa=2000, warm_set=1000
        )
        scale = dict(distinct=300, repeats=9, number_repeated=5000, number_raw=500, number_rsa=1000)
    limit, _ = max_token_length()
    base = Case("base", **scale)
    return [
        core,
        base,
        replace(base, name="keys-10", keys=10),
        replace(base, name="keys-100", keys=100),
        replace(base, name="pad-1k", pad_bytes=1024),
        replace(base, name="pad-4k", pad_bytes=4096),
        replace(base, name="pad-max", token_len=limit - 64),
        replace(base, name="issuers-10", issuers=10),
        replace(base, name="issuers-100", issuers=100),
    ]


@dataclass
class Measured:
    case: Case
    result: CaseResult
    command: str
    runs: int = 1  # best of this many runs of the command
    #: Each run's first-seen / bare RSA ratio (both from that run): how far the verdict moves with the noise.
    first_seen_ratios: list[float] = field(default_factory=list)


def _merge(a: CaseResult, b: CaseResult) -> CaseResult:
    """Field by field, the lower (less disturbed) timing of two runs of one case."""
    best = {
        name: min(x, y)
        for name in ("raw_jwt_decode_us", "rsa_verify_us", "first_seen_us", "repeated_us")
        for x, y in [(getattr(a, name), getattr(b, name))]
    }
    warm = (
        min(a.warm_set_us, b.warm_set_us) if a.warm_set_us is not None and b.warm_set_us is not None else a.warm_set_us
    )
    return replace(a, **best, warm_set_us=warm, jwks_fetches=max(a.jwks_fetches, b.jwks_fetches))


def worker_command(case: Case) -> list[str]:
    return [sys.executable, "-m", "bench.validation_worker", case.to_json()]


def run(case: Case, timeout: float = 600) -> Measured:
    argv = worker_command(case)
    result = CaseResult(**run_worker(argv, f"validation case {case.name}", timeout))
    shown = [".venv/bin/python" if argv[0] == sys.executable else argv[0], *argv[1:]]
    return Measured(case, result, shlex.join(shown))


@dataclass
class WsgiMeasured:
    root_us: float
    me_us: float
    number: int
    repeats: int
    command: str
    first_seen_us: float | None = None  # /me with a distinct, never-seen valid token per request
    forged_us: float | None = None  # /me with a distinct forged token per request (401)
    peer: str = "product"


def wsgi_spec(smoke: bool, **extra: str) -> str:
    spec = {"number": 50, "repeats": 2} if smoke else {"number": 1000, "repeats": 15}
    return json.dumps({**spec, **extra}, separators=(",", ":"))


def run_wsgi(
    smoke: bool,
    timeout: float = 300,
    python: str = sys.executable,
    shown_python: str = ".venv/bin/python",
    **extra: str,
) -> WsgiMeasured:
    """µs per GET / and GET /me through Django's WSGI handler, in a fresh process (of `python`)."""
    argv = [python, "-m", "bench.wsgi_worker", wsgi_spec(smoke, **extra)]
    data = run_worker(argv, "WSGI case", timeout, dropped=(*WORKER_ENV_DROPPED, "PEER"))
    return WsgiMeasured(
        data["root_us"],
        data["me_us"],
        data["number"],
        data["repeats"],
        shlex.join([shown_python, *argv[1:]]),
        data["first_seen_us"],
        data["forged_us"],
        data["peer"],
    )


def run_all(smoke: bool, rounds: int, log=print, growth: bool = True) -> list[Measured]:
    """Every case (without `growth`, the core case alone), `rounds` times in turn (a fresh process each), best
    timing per case."""
    measured: dict[str, Measured] = {}
    chosen = [case for case in cases(smoke) if growth or case.name == "core"]
    for round_no in range(rounds):
        for case in chosen:
            log(f"  validation case {case.name} (round {round_no + 1}/{rounds}) ...")
            run_ = run(case)
            ratio = run_.result.first_seen_us / run_.result.rsa_verify_us
            if case.name in measured:
                known = measured[case.name]
                known.result, known.runs = _merge(known.result, run_.result), known.runs + 1
                known.first_seen_ratios.append(ratio)
            else:
                run_.first_seen_ratios.append(ratio)
                measured[case.name] = run_
    return list(measured.values())
