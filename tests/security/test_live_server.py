"""The same answers over real HTTP (Django's live_server, a threaded WSGI server).

Two ``Authorization`` headers are sent with http.client; the WSGI server
joins them with a comma (as every WSGI server does) and the request must be
refused as malformed, whichever scheme comes first.
"""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

import pytest

from tests.security.conftest import assert_no_leak, assert_outcome, secrets_of


class _Response:
    """Just enough of a Django response for the shared checks."""

    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.status_code = raw.status
        self.headers = {name: value for name, value in raw.getheaders()}
        self.content = raw.read()


def _request(live_server, headers: list[tuple[str, str]], path: str = "/me") -> _Response:
    url = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.putrequest("GET", path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        return _Response(conn.getresponse())
    finally:
        conn.close()


@pytest.fixture
def live(live_server, jwks_config, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="jwks_auth")
    return live_server


# name -> (expected, [header values with {t} = valid token, {o} = another valid token])
CASES = {
    "two identical Bearer headers": ("WR", ["Bearer {t}", "Bearer {t}"]),
    "two different Bearer headers": ("WR", ["Bearer {t}", "Bearer {o}"]),
    "Basic then Bearer": ("WR", ["Basic YWxpY2U6YWxpY2U=", "Bearer {t}"]),
    "Bearer then Basic": ("WR", ["Bearer {t}", "Basic YWxpY2U6YWxpY2U="]),
    "empty Bearer then Bearer": ("WR", ["Bearer", "Bearer {t}"]),
    "Bearer then empty Bearer": ("WR", ["Bearer {t}", "Bearer"]),
    "one Bearer header": ("200", ["Bearer {t}"]),
    "lowercase bearer": ("200", ["bearer {t}"]),
    "no header": ("W0", []),
    "Basic only": ("W0", ["Basic YWxpY2U6YWxpY2U="]),
    "empty Bearer": ("WR", ["Bearer"]),
    "extra part": ("WR", ["Bearer {t} x"]),
    "tampered token": ("WT", ["Bearer {bad}"]),
    "insufficient scope": ("WS", ["Bearer {noscope}"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_over_real_http(live, make_token, caplog, name):
    kind, templates = CASES[name]
    tokens = {"t": make_token(), "o": make_token(sub="other"), "noscope": make_token(scope="openid")}
    tokens["bad"] = tokens["t"][:-6] + "AAAAAA"
    values = [template.format(**tokens) for template in templates]
    response = _request(live, [("Authorization", value) for value in values])
    secrets = [s for token in tokens.values() for s in secrets_of(token)]
    assert_outcome(response, kind, scopes="api1", secrets=secrets)
    assert_no_leak(response, secrets, caplog)
    follow_up = _request(live, [("Authorization", f"Bearer {make_token()}")])
    assert follow_up.status_code == 200


def test_header_and_query_over_real_http(live, make_token, caplog):
    token = make_token()
    response = _request(live, [("Authorization", f"Bearer {token}")], path=f"/me?access_token={token}")
    assert_outcome(response, "WR", secrets=secrets_of(token))
    assert_no_leak(response, secrets_of(token), caplog)


def test_query_token_alone_over_real_http_is_not_accepted(live, make_token, caplog):
    token = make_token()
    response = _request(live, [], path=f"/me?access_token={token}")
    assert_outcome(response, "W0", secrets=secrets_of(token))
    assert_no_leak(response, secrets_of(token), caplog)
