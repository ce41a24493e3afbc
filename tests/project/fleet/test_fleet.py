"""Several API hosts in network namespaces under faults, and the API over a Redis that fails over (short forms).

The long forms, with their figures printed, are ``make bench-full``'s (bench/fleet_figures.py). Both soaks start
real processes (granian, redis-server, redis-sentinel) and clean them up, namespaces included, when they end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.project.fleet import failover, soak
from tests.support import netns

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def fleet_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    reason = netns.unavailable_reason()
    if reason is not None:
        pytest.skip(f"network namespaces cannot be created here: {reason}")
    figures = soak.soak(tmp_path_factory.mktemp("fleet"), fault_seconds=5, settle_seconds=2)
    print(soak.format_figures(figures))
    return figures


@pytest.mark.parametrize("fault", ["provider_cut", "redis_cut", "partition_heals"])
def test_a_fault_of_one_host_loses_no_valid_request_and_accepts_no_forgery(
    fleet_figures: dict[str, Any], fault: str
) -> None:
    figures = fleet_figures[fault]
    assert figures["valid"] > 0 and figures["forged"] > 0
    assert figures["valid_lost"] == 0, figures
    assert figures["forged_accepted"] == 0, figures


def test_no_forged_token_is_accepted_anywhere(fleet_figures: dict[str, Any]) -> None:
    assert fleet_figures["total"]["forged_accepted"] == 0
    assert fleet_figures["meta"]["tracebacks_in_logs"] == 0


def test_a_host_cut_off_from_redis_fetches_within_its_bound_and_rejoins(fleet_figures: dict[str, Any]) -> None:
    figures = fleet_figures["redis_cut"]
    assert figures["own_jwks_fetches"] <= figures["own_fetch_bound"], figures
    assert figures["rejoined_redis_s"] is not None and figures["5xx"] == 0
    assert fleet_figures["partition_heals"]["rejoined_redis_s"] is not None


def test_redis_cut_and_healed_partition_answer_no_5xx(fleet_figures: dict[str, Any]) -> None:
    assert fleet_figures["redis_cut"]["5xx"] == 0 and fleet_figures["partition_heals"]["5xx"] == 0


def test_rotation_while_a_host_is_cut_off_from_the_provider_loses_nothing(fleet_figures: dict[str, Any]) -> None:
    for fault in ("provider_cut", "rotation_during_partition", "between"):
        assert fleet_figures[fault]["valid_lost"] == 0 and fleet_figures[fault]["5xx"] == 0, fleet_figures[fault]


def test_sentinel_failover_loses_nothing_and_replays_no_dpop_proof(tmp_path: Path) -> None:
    figures = failover.soak(tmp_path, rounds=1, repeats=20)
    print(figures)
    assert figures["failover_s"] and figures["valid"] > 0 and figures["dpop_replays"] > 0
    assert figures["valid_lost"] == 0 and figures["forged_accepted"] == 0 and figures["5xx"] == 0
    assert figures["dpop_replays_accepted"] == 0
    assert figures["tracebacks_in_log"] == 0
