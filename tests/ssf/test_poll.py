"""RFC 8936 poll: SETs fetched from the tests' own transmitter, processed, acknowledged or reported, bounded."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from jwks_auth.ssf.poll import poll_transmitters
from tests.conftest import bearer
from tests.support.ssf_transmitter import CAEP, iss_sub

pytestmark = pytest.mark.django_db(databases=[])


def test_polled_sets_are_processed_acknowledged_or_reported(client, ssf_config, transmitter, provider, make_token):
    ssf_config({"POLL_URL": transmitter.poll_url, "POLL_AUTHORIZATION": "Bearer poll-secret"}, POLL_MAX_EVENTS=2)
    transmitter.poll_authorization = "Bearer poll-secret"
    good = [
        transmitter.enqueue(transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, f"p{i}")))
        for i in range(3)
    ]
    bad = transmitter.enqueue(
        transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "p9"), aud="other")
    )
    (result,) = poll_transmitters()
    assert (result.processed, result.refused, result.failed) == (3, 1, False)
    assert sorted(transmitter.acknowledged) == sorted(good)
    assert transmitter.reported == {bad: {"err": "invalid_audience", "description": "audience not accepted"}}
    assert transmitter.queue == {}
    assert all(request["maxEvents"] <= 2 and request["returnImmediately"] for request in transmitter.poll_requests)
    token = make_token(sub="p1", iat=int(time.time()) - 30)
    assert client.get("/me", **bearer(token)).status_code == 401


def test_a_poll_run_is_bounded(ssf_config, transmitter, provider):
    ssf_config({"POLL_URL": transmitter.poll_url}, POLL_MAX_EVENTS=1, POLL_MAX_REQUESTS=3)
    for i in range(10):
        transmitter.enqueue(transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, f"q{i}")))
    (result,) = poll_transmitters()
    assert result.requests == 4  # three asking, one acknowledging the last
    assert result.processed == 3
    assert len(transmitter.queue) == 7


def test_a_transmitter_that_cannot_be_reached_fails_the_run_not_the_process(ssf_config, transmitter, provider):
    ssf_config({"POLL_URL": transmitter.poll_url})
    transmitter.stop()
    (result,) = poll_transmitters()
    assert result.failed and result.requests == 1


def test_the_management_command(ssf_config, transmitter, provider, capsys):
    ssf_config({"POLL_URL": transmitter.poll_url})
    transmitter.enqueue(transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "cmd")))
    call_command("ssf_poll")
    assert "1 processed, 1 acknowledged" in capsys.readouterr().out


def test_a_set_that_is_not_a_string_is_reported_not_returned_forever(ssf_config, transmitter, provider):
    ssf_config({"POLL_URL": transmitter.poll_url})
    transmitter.queue["not-a-set"] = {"alg": "none"}  # type: ignore[assignment]
    (result,) = poll_transmitters()
    assert result.refused == 1
    assert transmitter.reported == {"not-a-set": {"err": "invalid_request", "description": "not a signed SET"}}
    assert transmitter.queue == {}


def test_one_transmitters_fault_ends_neither_the_run_nor_the_command(
    ssf_config, transmitter, provider, capsys, monkeypatch
):
    from jwks_auth.ssf import poll

    ssf_config({"POLL_URL": transmitter.poll_url})
    transmitter.enqueue(transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "f")))

    def unforeseen(*args, **kwargs):
        raise RuntimeError("a fault nobody foresaw")

    monkeypatch.setattr(poll, "_process", unforeseen)  # a bug of ours, not a transmitter's answer
    (result,) = poll_transmitters()
    assert result.failed
    call_command("ssf_poll", every=0.01, runs=2)
    assert capsys.readouterr().out.count("(poll failed)") == 2


@pytest.mark.parametrize("every", ["inf", "nan", "-1", "1e300"])
def test_the_command_refuses_an_every_it_cannot_sleep(ssf_config, transmitter, every):
    from django.core.management import CommandError

    ssf_config({"POLL_URL": transmitter.poll_url})
    with pytest.raises(CommandError, match="--every"):
        call_command("ssf_poll", every=float(every), runs=2)


def test_the_command_names_a_bad_setting_instead_of_a_traceback(ssf_config, transmitter):
    from django.core.management import CommandError

    ssf_config({"POLL_URL": transmitter.poll_url}, STATE_TTL="x")
    with pytest.raises(CommandError, match="STATE_TTL"):
        call_command("ssf_poll")
