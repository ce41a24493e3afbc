"""SHARED_SIGNALS settings: a bad value is refused with a message naming it, never a 500 at /ssf/events."""

from __future__ import annotations

import logging

import pytest

from jwks_auth.conf import schema
from jwks_auth.conf.settings import DEFAULTS
from tests.ssf.conftest import push

pytestmark = pytest.mark.django_db(databases=[])


@pytest.mark.parametrize(
    ("group", "named"),
    [
        ({"STATE_TTL": "x"}, "STATE_TTL"),
        ({"LOCAL_SUBJECTS": None}, "LOCAL_SUBJECTS"),
        ({"EPOCH_INTERVAL": "soon"}, "EPOCH_INTERVAL"),
    ],
)
def test_a_bad_group_value_is_a_503_naming_the_setting(client, ssf_config, transmitter, group, named, caplog):
    ssf_config(**group)
    with caplog.at_level(logging.ERROR, logger="jwks_auth.ssf"):
        answer = push(client, transmitter.make_set("https://example.org/no-effect", {"format": "opaque", "id": "x"}))
    assert answer.status_code == 503
    assert answer["Retry-After"]
    assert any(named in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("key", ["ISSUER", "CONFIGURATION_URL", "JWKS_URI", "POLL_URL"])
@pytest.mark.parametrize("url", ["https://[bad", "https://host:port/x", "http://[::1"])
def test_transmitter_urls_must_parse(key, url):
    entry = {"ISSUER": "https://tx.example", key: url}
    with pytest.raises(Exception, match=r"SHARED_SIGNALS.*TRANSMITTERS") as refused:
        schema.validate({"ISSUER": "https://idp.example", "SHARED_SIGNALS": {"TRANSMITTERS": [entry]}}, DEFAULTS)
    assert type(refused.value).__name__ == "ConfigurationError"


def test_a_transmitter_issuer_that_is_no_url_is_a_503_not_a_500(client, ssf_config, transmitter):
    ssf_config(entry={"ISSUER": "https://[bad"})
    answer = push(client, transmitter.make_set("https://example.org/no-effect", {"format": "opaque", "id": "x"}))
    assert answer.status_code == 503


def test_epoch_interval_zero_is_warned_about():
    found = schema.problems({"ISSUER": "https://idp.example", "SHARED_SIGNALS": {"EPOCH_INTERVAL": 0}}, DEFAULTS)
    assert any("EPOCH_INTERVAL" in problem.where for problem in found)


@pytest.mark.parametrize("jwks_uri", ["https://[bad", "https://host:port/jwks", "http://[::1", 42])
def test_a_hostile_configuration_document_is_a_503_not_a_500(client, ssf_config, transmitter, provider, jwks_uri):
    from tests.support.ssf_transmitter import CAEP, iss_sub

    transmitter.configuration_overrides = {"jwks_uri": jwks_uri}
    answer = push(client, transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "h")))
    assert answer.status_code == 503
    assert answer["Retry-After"]


@pytest.mark.parametrize("url", ["https://[bad", "https://host:port/x", "http://[::1"])
def test_check_url_refuses_what_cannot_be_parsed_as_a_fetch_error(url):
    from jwks_auth.exceptions import FetchError
    from jwks_auth.keys.http import check_url

    with pytest.raises(FetchError):
        check_url(url)


def test_secrets_and_set_claims_stay_out_of_reprs(ssf_config, transmitter, provider):
    from jwks_auth.ssf.receiver import get_receiver
    from jwks_auth.ssf.verification import verify_set
    from tests.support.ssf_transmitter import CAEP, iss_sub

    ssf_config(entry={"PUSH_AUTHORIZATION": "Bearer push-secret-1", "POLL_AUTHORIZATION": "Bearer poll-secret-2"})
    receiver = get_receiver()
    assert receiver is not None
    keys = receiver.keys[transmitter.issuer]
    assert "secret" not in repr(keys.transmitter)
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "hidden-subject"))
    verified = verify_set(event, receiver.keys, "Bearer push-secret-1", pushed=True)
    assert "hidden-subject" not in repr(verified) and "secret" not in repr(verified)
