"""Every front door gives DRF's answer for the same token: status, challenge error and scope.

In process, through Django's test clients: the WSGI one and the ASGI one
(``AsyncClient``, which runs async views on the loop), with tokens of the
testing kit's fake issuer (no socket: the point here is the doors). The same
matrix runs over HTTP against uvicorn in test_uvicorn.py.
"""

from __future__ import annotations

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import EXPECTED, run
from tests.asgi_app.doors import DOORS, Seen

KINDS = list(EXPECTED)


def _headers(authorization: str | None) -> dict[str, str]:
    return {"Authorization": authorization} if authorization else {}


@pytest.mark.parametrize("kind", KINDS)
def test_every_door_answers_as_drf_over_wsgi(kind: str, tokens: dict[str, str | None]) -> None:
    client = Client()
    seen = {
        path: Seen.of(r.status_code, r.headers)
        for path in DOORS
        for r in [client.get(path, headers=_headers(tokens[kind]))]
    }
    _assert_alike(kind, seen)


@pytest.mark.parametrize("kind", KINDS)
def test_every_door_answers_as_drf_over_asgi(kind: str, tokens: dict[str, str | None]) -> None:
    async def ask() -> dict[str, Seen]:
        client = AsyncClient()
        answers = {}
        for path in DOORS:
            response = await client.get(path, headers=_headers(tokens[kind]))
            answers[path] = Seen.of(response.status_code, response.headers)
        return answers

    _assert_alike(kind, run(ask()))


def _assert_alike(kind: str, seen: dict[str, Seen]) -> None:
    drf = seen["/me"]
    assert (drf.status, drf.error) == EXPECTED[kind]
    assert {path: answer for path, answer in seen.items() if answer != drf} == {}
    if drf.status in (400, 401, 403):
        assert drf.scheme == "Bearer"
    if kind == "missing_scope":
        assert drf.scope == "api1"
