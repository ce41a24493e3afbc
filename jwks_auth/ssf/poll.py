"""RFC 8936 poll delivery: ask each transmitter's ``POLL_URL`` for SETs, process them, acknowledge them.

``poll_transmitters()`` is what a scheduler calls (``manage.py ssf_poll``
runs it once, or every few seconds with ``--every``). Bounded: each request
has ``HTTP["TIMEOUT"]`` (one deadline for the whole exchange), asks for at
most ``SHARED_SIGNALS["POLL_MAX_EVENTS"]`` SETs (more in an answer are left
unacknowledged, so they come again), and one run makes at most
``SHARED_SIGNALS["POLL_MAX_REQUESTS"]`` requests per transmitter. A SET
processed (or already processed) is acknowledged (``ack``); one refused is
reported in ``setErrs`` with its RFC 8935 code; one that cannot be processed
now (keys or shared cache down) is neither, so the transmitter sends it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.settings import jwks_settings
from jwks_auth.exceptions import FetchError
from jwks_auth.keys.http import fetch_json
from jwks_auth.ssf.errors import ReceiverUnavailable, SETError
from jwks_auth.ssf.receiver import Receiver, get_receiver
from jwks_auth.ssf.settings import Transmitter

logger = logging.getLogger("jwks_auth.ssf")


@dataclass
class PollResult:
    """What one run did for one transmitter."""

    issuer: str
    requests: int = 0
    processed: int = 0
    acknowledged: int = 0
    refused: int = 0
    deferred: int = 0
    failed: bool = False


def poll_transmitters(receiver: Receiver | None = None) -> list[PollResult]:
    """One bounded poll of every transmitter with a ``POLL_URL``."""
    receiver = receiver or get_receiver()
    if receiver is None:
        return []
    results = []
    for keys in receiver.keys.values():
        transmitter = keys.transmitter
        if transmitter.poll_url is None:
            continue
        try:
            results.append(poll_transmitter(receiver, transmitter))
        except Exception:  # noqa: BLE001 - one transmitter's fault must not end the run (or ssf_poll --every)
            logger.exception("Shared Signals: poll of %s failed", transmitter.issuer)
            results.append(PollResult(transmitter.issuer, failed=True))
    return results


def poll_transmitter(receiver: Receiver, transmitter: Transmitter) -> PollResult:
    group = jwks_settings.SHARED_SIGNALS
    max_events = max(1, int(group["POLL_MAX_EVENTS"]))
    max_requests = max(1, int(group["POLL_MAX_REQUESTS"]))
    result = PollResult(transmitter.issuer)
    acks: list[str] = []
    errors: dict[str, dict[str, str]] = {}
    more = True
    while more and result.requests < max_requests:
        answer = _request(transmitter, result, {"ack": acks, "setErrs": errors, "maxEvents": max_events})
        if answer is None:
            return result
        acks, errors = [], {}
        sets = answer.get("sets")
        if not isinstance(sets, dict):
            sets = {}
        for jti, token in list(sets.items())[:max_events]:
            _process(receiver, jti, token, acks, errors, result)
        more = answer.get("moreAvailable") is True and bool(sets)
    if acks or errors:  # acknowledge the last batch without asking for more
        _request(transmitter, result, {"ack": acks, "setErrs": errors, "maxEvents": 0})
    return result


def _process(
    receiver: Receiver, jti: Any, token: Any, acks: list[str], errors: dict[str, dict[str, str]], result: PollResult
) -> None:
    if not isinstance(jti, str):
        return  # a key of a JSON object is a string: nothing to answer about
    if not isinstance(token, str):
        # Reported, not ignored: a SET neither acknowledged nor reported would be returned forever.
        errors[jti] = {"err": "invalid_request", "description": "not a signed SET"}
        result.refused += 1
        return
    try:
        outcome = receiver.receive(token)
    except SETError as exc:
        errors[jti] = {"err": str(exc.code), "description": exc.description}
        result.refused += 1
        return
    except ReceiverUnavailable:
        result.deferred += 1  # neither acknowledged nor refused: delivered again
        return
    if outcome.jti != jti:
        # The key of "sets" must be the SET's jti (RFC 8936 2.5): processed, reported as a bad request.
        errors[jti] = {"err": "invalid_request", "description": "jti does not match"}
        result.refused += 1
        return
    acks.append(jti)
    result.processed += int(outcome.processed)


def _request(transmitter: Transmitter, result: PollResult, body: dict[str, Any]) -> dict[str, Any] | None:
    """One poll request (``returnImmediately``: a run never waits for events to happen)."""
    assert transmitter.poll_url is not None
    headers = {"Authorization": transmitter.poll_authorization} if transmitter.poll_authorization else {}
    result.requests += 1
    try:
        answer = fetch_json(transmitter.poll_url, json_body={**body, "returnImmediately": True}, headers=headers)
    except FetchError as exc:
        logger.warning("Shared Signals: poll of %s failed: %s", transmitter.issuer, type(exc).__name__)
        result.failed = True
        return None
    result.acknowledged += len(body["ack"])
    return answer.document
