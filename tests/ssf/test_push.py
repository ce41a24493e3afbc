"""RFC 8935 push: a SET from the tests' own transmitter refuses the tokens its events name, cached ones included."""

from __future__ import annotations

import time

import pytest

from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer
from tests.ssf.conftest import push
from tests.support.keys import SigningKey
from tests.support.ssf_transmitter import CAEP, RISC, iss_sub, session_subject
from tests.support.tokens import mint

pytestmark = pytest.mark.django_db(databases=[])


def me(client, token):
    return client.get("/me", **bearer(token))


def past(seconds=30):
    return int(time.time()) - seconds


def test_session_revoked_refuses_the_sessions_older_tokens_cached_or_not(
    client, ssf_config, transmitter, provider, make_token
):
    old = make_token(sub="alice", sid="s1", iat=past())
    other_session = make_token(sub="alice", sid="s2", iat=past())
    assert me(client, old).status_code == 200
    from jwks_auth.utils.digest import sha256

    assert get_validator().cache.get(sha256(old.encode()), time.time()) is not None  # refused though cached
    event = transmitter.make_set(CAEP + "session-revoked", session_subject(provider.issuer, "alice", "s1"))
    answer = push(client, event)
    assert answer.status_code == 202, answer.content
    refused = me(client, old)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert me(client, other_session).status_code == 200
    assert me(client, make_token(sub="alice", sid="s1", iat=int(time.time()) + 1)).status_code == 200  # a newer token


def test_the_refusal_has_its_own_reason_in_the_signal(client, ssf_config, transmitter, provider, make_token):
    from jwks_auth import signals

    reasons = []

    def on_rejected(sender, reason, issuer, **kwargs):
        reasons.append(reason)

    signals.token_rejected.connect(on_rejected)
    try:
        token = make_token(sub="bob", iat=past())
        push(
            client,
            transmitter.make_set(
                CAEP + "credential-change",
                iss_sub(provider.issuer, "bob"),
                event={"credential_type": "password", "change_type": "update"},
            ),
        )
        assert me(client, token).status_code == 401
    finally:
        signals.token_rejected.disconnect(on_rejected)
    assert reasons == ["signal_revoked"]


@pytest.mark.parametrize(
    "event_type, subject",
    [
        (CAEP + "credential-change", lambda iss: iss_sub(iss, "bob")),
        (RISC + "account-disabled", lambda iss: {"format": "email", "email": "Bob@Example.com"}),
        (RISC + "sessions-revoked", lambda iss: {"format": "opaque", "id": "bob"}),
        (CAEP + "session-revoked", lambda iss: iss_sub(iss, "bob")),  # no session named: the whole account
        (
            RISC + "account-disabled",
            lambda iss: {
                "format": "aliases",
                "identifiers": [{"format": "email", "email": "x@y"}, iss_sub(iss, "bob")],
            },
        ),
    ],
)
def test_account_events_refuse_every_older_token_of_the_user(
    client, ssf_config, transmitter, provider, make_token, event_type, subject
):
    tokens = [make_token(sub="bob", sid=sid, email="bob@example.com", iat=past()) for sid in ("a", "b")]
    bystander = make_token(sub="carol", email="carol@example.com", iat=past())
    assert push(client, transmitter.make_set(event_type, subject(provider.issuer))).status_code == 202
    assert [me(client, token).status_code for token in tokens] == [401, 401]
    assert me(client, bystander).status_code == 200


def test_a_session_named_by_sid_in_the_subject(client, ssf_config, transmitter, provider, make_token):
    subject = {"format": "iss_sub", "iss": provider.issuer, "sub": "dave", "sid": "s9"}
    assert push(client, transmitter.make_set(CAEP + "session-revoked", subject)).status_code == 202
    assert me(client, make_token(sub="dave", sid="s9", iat=past())).status_code == 401
    assert me(client, make_token(sub="dave", sid="s8", iat=past())).status_code == 200


def test_a_token_without_iat_is_refused_while_its_subject_has_an_event(
    client, ssf_config, transmitter, provider, signing_key
):
    from tests.support.tokens import access_claims

    ssf_config(top={"PROFILE": "identityserver4"})  # a profile that does not require iat
    claims = access_claims(provider.issuer, sub="erin")
    del claims["iat"]
    token = mint(signing_key, claims)
    assert me(client, token).status_code == 200
    push(client, transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "erin")))
    assert me(client, token).status_code == 401


def test_token_claims_change_refuses_contradicted_tokens_until_a_newer_one(
    client, ssf_config, transmitter, provider, make_token
):
    admin = make_token(sub="frank", role="admin", iat=past())
    no_role = make_token(sub="frank", iat=past())
    event = transmitter.make_set(
        CAEP + "token-claims-change",
        iss_sub(provider.issuer, "frank"),
        event={"claims": {"role": "reader", "sub": "mallory"}},
    )
    assert push(client, event).status_code == 202
    assert me(client, admin).status_code == 401
    assert me(client, no_role).status_code == 200  # nothing of it contradicted
    assert me(client, make_token(sub="frank", role="reader", iat=past())).status_code == 200
    assert me(client, make_token(sub="frank", role="admin", iat=int(time.time()) + 1)).status_code == 200  # newer


def test_assurance_level_change_refuses_tokens_of_another_acr(client, ssf_config, transmitter, provider, make_token):
    strong = make_token(sub="gina", acr="phr", iat=past())
    event = transmitter.make_set(
        CAEP + "assurance-level-change",
        iss_sub(provider.issuer, "gina"),
        event={"namespace": "RFC8176", "current_level": "pwd", "previous_level": "phr", "change_direction": "decrease"},
    )
    assert push(client, event).status_code == 202
    assert me(client, strong).status_code == 401
    assert me(client, make_token(sub="gina", acr="pwd", iat=past())).status_code == 200


def test_an_event_type_without_effect_is_accepted(client, ssf_config, transmitter, provider, make_token):
    event = transmitter.make_set(
        "https://schemas.openid.net/secevent/ssf/event-type/verification",
        {"format": "opaque", "id": "stream-1"},
        event={"state": "abc"},
    )
    assert push(client, event).status_code == 202
    assert me(client, make_token(sub="stream-1", iat=past())).status_code == 200


def test_a_set_is_processed_once(client, ssf_config, transmitter, provider):
    from jwks_auth.ssf.receiver import get_receiver

    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "hal"))
    assert push(client, event).status_code == 202
    assert push(client, event).status_code == 202  # a redelivery: accepted, nothing done again
    outcome = get_receiver().receive(event)
    assert outcome.processed is False


def err(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"err", "description"}
    return body["err"]


def test_refusals_carry_the_rfc_8935_codes(client, ssf_config, transmitter, provider, make_token, other_key):
    subject = iss_sub(provider.issuer, "ivan")
    kind = CAEP + "credential-change"
    assert err(push(client, "not.a.set")) == "invalid_request"
    assert err(push(client, transmitter.make_set(kind, subject, iss="https://other.example"))) == "invalid_issuer"
    assert err(push(client, transmitter.make_set(kind, subject, aud="someone-else"))) == "invalid_audience"
    assert (
        err(push(client, transmitter.make_set(kind, subject, key=SigningKey.ec(kid="ssf-es256", fresh=True))))
        == "authentication_failed"
    )
    assert err(push(client, transmitter.make_set(kind, subject, key=SigningKey.ec(kid="unknown")))) == "invalid_key"
    assert err(push(client, transmitter.make_set(kind, subject, key=other_key))) == "invalid_key"  # RS256 kid unknown
    assert err(push(client, transmitter.make_set(kind, subject, typ="at+jwt"))) == "invalid_request"
    assert err(push(client, transmitter.make_set(kind, subject, iat=past(7200)))) == "invalid_request"  # too old
    assert err(push(client, transmitter.make_set(kind, subject, iat=int(time.time()) + 600))) == "invalid_request"
    assert err(push(client, transmitter.make_set(kind, subject, exp=past(120)))) == "invalid_request"
    assert (
        err(push(client, transmitter.make_set(kind, iss_sub("https://another-idp.example", "ivan")))) == "access_denied"
    )
    assert err(push(client, transmitter.make_set(kind, {"format": "did", "url": "did:x"}))) == "invalid_request"
    assert (
        err(push(client, transmitter.make_set(CAEP + "token-claims-change", subject, event={"claims": "x"})))
        == "invalid_request"
    )
    assert me(client, make_token(sub="ivan", iat=past())).status_code == 200  # nothing refused got through


def test_hmac_and_none_are_refused_whatever_the_header_says(client, ssf_config, transmitter, provider):
    import base64
    import hashlib
    import hmac
    import json

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = json.loads(
        base64.urlsafe_b64decode(
            transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "x")).split(".")[1] + "=="
        )
    )
    for alg in ("HS256", "none"):
        signing_input = (
            b64(json.dumps({"alg": alg, "kid": "ssf-es256", "typ": "secevent+jwt"}).encode())
            + "."
            + b64(json.dumps(claims).encode())
        )
        signature = (
            b64(hmac.new(b"secret", signing_input.encode(), hashlib.sha256).digest()) if alg == "HS256" else "AA"
        )
        assert err(push(client, f"{signing_input}.{signature}")) == "invalid_key"


def test_push_authorization_when_configured(client, ssf_config, transmitter, provider):
    ssf_config({"PUSH_AUTHORIZATION": "Bearer push-secret"})
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "judy"))
    assert err(push(client, event)) == "authentication_failed"
    assert err(push(client, event, HTTP_AUTHORIZATION="Bearer wrong")) == "authentication_failed"
    assert push(client, event, HTTP_AUTHORIZATION="Bearer push-secret").status_code == 202


def test_what_is_not_a_push(client, ssf_config, transmitter, provider):
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "k"))
    assert client.get("/ssf/events").status_code == 405
    assert client.post("/ssf/events", data=event, content_type="application/json").status_code == 415
    assert err(push(client, "x" * 70000)) == "invalid_request"


def test_no_transmitter_no_endpoint(client, jwks_config, transmitter, provider):
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "k"))
    assert push(client, event).status_code == 404
    assert get_validator().revocations is None  # and no check on the request path


def test_transmitter_down_is_a_503_with_retry_after(client, ssf_config, transmitter, provider):
    ssf_config(top={"KEY_STORE": {"RETRY_INTERVAL": 0.2}})
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "k"))
    transmitter.stop()
    answer = push(client, event)
    assert answer.status_code == 503
    assert answer["Retry-After"]
    transmitter.start()
    time.sleep(0.3)  # the key store's pause after a failed fetch (what Retry-After tells the transmitter)
    assert push(client, event).status_code == 202  # the retry is processed: the jti was not spent


def test_the_ssf_configuration_is_read_once(client, ssf_config, transmitter, provider):
    for name in ("a", "b", "c"):
        assert (
            push(client, transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, name))).status_code
            == 202
        )
    assert transmitter.hits["/.well-known/ssf-configuration"] == 1
    assert transmitter.hits["/ssf/jwks"] == 1


def test_a_flood_is_bounded(client, ssf_config, transmitter, provider, make_token):
    ssf_config(MAX_EVENTS_PER_MINUTE=3, LOCAL_SUBJECTS=8)
    events = [transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, f"u{i}")) for i in range(5)]
    minute = int(time.time() // 60)
    statuses = [push(client, event).status_code for event in events]
    if int(time.time() // 60) != minute:
        pytest.skip("the minute changed during the flood")  # the receiver's count starts again each minute
    assert statuses[:3] == [202, 202, 202]
    assert statuses[3:] == [429, 429]
    for i in range(40):
        me(client, make_token(sub=f"someone-{i}", iat=past()))
    assert len(get_validator().revocations._known) <= 8


def test_a_broken_transmitter_is_asked_once_per_retry_interval_not_once_per_set(
    client, ssf_config, transmitter, provider
):
    transmitter.configuration_overrides = {"issuer": "https://someone-else.example"}  # refused: no keys
    for name in ("a", "b", "c", "d"):
        answer = push(client, transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, name)))
        assert answer.status_code == 503
        assert answer["Retry-After"]
    assert transmitter.hits["/.well-known/ssf-configuration"] == 1


def test_token_middleware_lets_the_push_through_without_exempting_it(
    client, ssf_config, transmitter, provider, settings
):
    """PUSH_AUTHORIZATION "Bearer <secret>" is the transmitter's secret, not an access token to verify."""
    settings.MIDDLEWARE = ["jwks_auth.middleware.TokenMiddleware"]
    ssf_config(entry={"PUSH_AUTHORIZATION": "Bearer push-secret"})
    event = transmitter.make_set(CAEP + "credential-change", iss_sub(provider.issuer, "mw"))
    answer = push(client, event, HTTP_AUTHORIZATION="Bearer push-secret")
    assert answer.status_code == 202, answer.content
    assert me(client, "not-a-token").status_code == 401  # other paths still are the middleware's
