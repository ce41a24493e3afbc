"""docs/authorization-details.md's example, run as it is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support.doc_examples import load_example

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def example_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = load_example("authorization-details", "views").__name__


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/drf/payments", "/ninja/payments", "/class/payments"])
def test_payments_need_a_payment_detail(
    path: str, example_urls: None, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    amount = {"currency": "EUR", "amount": "123.50"}
    detail = {"type": "payment_initiation", "actions": ["initiate"], "instructedAmount": amount}
    covered = Client().post(path, headers=_headers(make_token(scope="payments", authorization_details=[detail])))
    assert covered.status_code == 200, covered.content
    if path == "/drf/payments":
        assert covered.json() == {"amount": amount}
    reading = {"type": "payment_initiation", "actions": ["status"]}
    uncovered = Client().post(path, headers=_headers(make_token(scope="payments", authorization_details=[reading])))
    assert uncovered.status_code == 403


@pytest.mark.parametrize("prefix", ["/drf/accounts", "/ninja/accounts", "/plain/accounts"])
def test_accounts_need_a_detail_for_that_account(
    prefix: str, example_urls: None, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    token = make_token(
        authorization_details=[{"type": "account_information", "actions": ["read"], "identifier": "DE-1"}]
    )

    def get(path: str) -> Any:
        if prefix.startswith("/plain"):
            return run(AsyncClient().get(path, headers=_headers(token)))
        return Client().get(path, headers=_headers(token))

    assert get(f"{prefix}/DE-1").status_code == 200
    assert get(f"{prefix}/DE-2").status_code == 403
