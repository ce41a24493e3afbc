"""``jwks_prefetch --wait``: retry until the keys are cached or the time is up."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.usefixtures("jwks_config")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("jwks_prefetch", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_wait_retries_until_the_provider_answers(provider):
    provider.failure = 503
    timer = threading.Timer(1.0, lambda: setattr(provider, "failure", None))
    timer.start()
    try:
        out, err = run("--wait", "20")
    finally:
        timer.cancel()
    assert f"{provider.issuer}: cached 1 key(s)" in out
    assert "Retrying 1 issuer(s)" in err
    assert provider.discovery_hits >= 2


def test_wait_gives_up_when_the_time_is_over(provider):
    provider.failure = 503
    with pytest.raises(CommandError, match="Could not fetch keys for: " + provider.issuer):
        run("--wait", "1")
    assert provider.discovery_hits >= 2  # it did retry


def test_without_wait_one_failure_is_final(provider):
    provider.failure = 503
    with pytest.raises(CommandError):
        run()
    assert provider.discovery_hits == 1


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_wait_must_be_a_duration(provider, value):
    with pytest.raises(CommandError, match="--wait must be"):
        run("--wait", value)
    assert provider.discovery_hits == 0
