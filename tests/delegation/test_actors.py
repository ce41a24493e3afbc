"""RFC 8693 ``act`` and ``may_act`` read to the letter, ``ACCEPTED_ACTORS`` by ``sub`` or ``iss`` and ``sub``,
introspected tokens, and the log line of an accepted request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jwks_auth.conf.schema import problems
from jwks_auth.exceptions import InvalidClaims
from jwks_auth.reasons import Reason
from jwks_auth.validation.delegation import MAX_ACTORS, Actor, check_delegation, read_actor_chain, read_may_act

pytestmark = pytest.mark.django_db(databases=[])

MALFORMED_ACT = {
    "a string": "svc",
    "an array": [{"sub": "svc"}],
    "null": None,
    "no sub": {"iss": "https://as.example"},
    "an empty sub": {"sub": ""},
    "a numeric sub": {"sub": 42},
    "a numeric iss": {"sub": "svc", "iss": 1},
    "an empty iss": {"sub": "svc", "iss": ""},
    "a malformed prior actor": {"sub": "svc", "act": {"sub": None}},
    "a prior actor that is a string": {"sub": "svc", "act": "gateway"},
}


@pytest.mark.parametrize("case", list(MALFORMED_ACT))
def test_a_malformed_act_is_refused(case: str) -> None:
    with pytest.raises(InvalidClaims) as caught:
        check_delegation({"act": MALFORMED_ACT[case]}, None)
    assert caught.value.description == "invalid act claim" and caught.value.code is Reason.CLAIM_TYPE


@pytest.mark.parametrize("value", ["svc", [], None, {"sub": 3}, {"iss": ""}])
def test_a_malformed_may_act_is_refused(value: Any) -> None:
    with pytest.raises(InvalidClaims):
        check_delegation({"may_act": value}, None)


def test_may_act_needs_no_sub() -> None:
    assert dict(read_may_act({"may_act": {"client_id": "svc"}}) or {}) == {"client_id": "svc"}
    assert read_may_act({}) is None


def test_a_chain_is_read_outermost_first_and_bounded() -> None:
    chain = read_actor_chain({"act": {"sub": "a", "iss": "https://x", "role": "r", "act": {"sub": "b"}}})
    assert chain == (Actor("a", "https://x"), Actor("b"))
    assert dict(chain[0].claims) == {"sub": "a", "iss": "https://x", "role": "r"}
    deep: dict[str, Any] = {"sub": "last"}
    for index in range(MAX_ACTORS - 1):
        deep = {"sub": f"s{index}", "act": deep}
    assert len(read_actor_chain({"act": deep})) == MAX_ACTORS
    with pytest.raises(InvalidClaims):
        read_actor_chain({"act": {"sub": "one more", "act": deep}})


ACCEPTED = frozenset({(None, "orders"), ("https://as.example", "billing")})


@pytest.mark.parametrize(
    "act, accepted",
    [
        ({"sub": "orders"}, True),
        ({"sub": "orders", "iss": "https://elsewhere"}, True),  # listed by sub alone: any iss
        ({"sub": "billing", "iss": "https://as.example"}, True),
        ({"sub": "billing"}, False),  # listed with an iss the actor does not say
        ({"sub": "billing", "iss": "https://elsewhere"}, False),
        ({"sub": "gateway", "act": {"sub": "orders"}}, False),  # only the current actor counts
    ],
)
def test_accepted_actors(act: dict[str, Any], accepted: bool) -> None:
    if accepted:
        check_delegation({"act": act}, ACCEPTED)
    else:
        with pytest.raises(InvalidClaims) as caught:
            check_delegation({"act": act}, ACCEPTED)
        assert caught.value.code is Reason.ACTOR and caught.value.description == "actor not accepted"


def test_an_empty_list_refuses_every_delegated_token() -> None:
    check_delegation({}, frozenset())
    with pytest.raises(InvalidClaims):
        check_delegation({"act": {"sub": "orders"}}, frozenset())


@pytest.mark.parametrize(
    "value, fine",
    [
        (["orders", {"sub": "billing", "iss": "https://as.example"}, {"sub": "x"}], True),
        ("orders", False),
        ([""], False),
        ([{"iss": "https://as.example"}], False),
        ([{"sub": "x", "aud": "y"}], False),
        ([{"sub": 1}], False),
    ],
)
def test_the_setting_is_validated(value: Any, fine: bool) -> None:
    found = problems({"ISSUER": "https://as.example", "AUDIENCE": ["api1"], "ACCEPTED_ACTORS": value})
    assert (found == []) is fine, found


def test_a_cached_token_is_refused_after_the_setting_changes(jwks_config: Any, make_token: Callable[..., str]) -> None:
    token = make_token(act={"sub": "gateway"})
    headers = {"Authorization": f"Bearer {token}"}
    assert Client().get("/authz/claims", headers=headers).status_code == 200
    jwks_config(ACCEPTED_ACTORS=["orders"])  # a settings change drops the verified-token cache
    assert Client().get("/authz/claims", headers=headers).status_code == 401


def test_the_log_line_of_an_accepted_request_has_the_chain_and_never_the_token(
    caplog: Any, make_token: Callable[..., str], jwks_config: Any
) -> None:
    caplog.set_level(logging.DEBUG, logger="jwks_auth.authentication")
    token = make_token(act={"sub": "orders", "iss": "https://as.example", "act": {"sub": "gateway"}})
    assert Client().get("/authz/claims", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    (record,) = [r for r in caplog.records if r.getMessage().startswith("Token accepted")]
    assert record.getMessage().endswith("actor orders (https://as.example) < gateway")
    assert record.actors == [{"sub": "orders", "iss": "https://as.example"}, {"sub": "gateway", "iss": None}]
    plain = make_token()
    assert Client().get("/authz/claims", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert caplog.records[-1].getMessage().endswith("actor none")
    for item in caplog.records:
        assert token not in item.getMessage() and plain not in item.getMessage()
        assert token.split(".")[1] not in repr(item.__dict__)


def test_no_log_work_when_debug_is_off(caplog: Any, make_token: Callable[..., str], jwks_config: Any) -> None:
    caplog.set_level(logging.INFO, logger="jwks_auth.authentication")
    token = make_token(act={"sub": "orders"})
    assert Client().get("/authz/claims", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert not [r for r in caplog.records if r.getMessage().startswith("Token accepted")]
