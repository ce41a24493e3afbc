"""RFC 6750 section 2: how the token travels, and the W0 / WR answers."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.security.conftest import assert_outcome, secrets_of

pytestmark = pytest.mark.django_db(databases=[])


# name -> (expected, Authorization value with "{t}" for a valid token, or None for no header)
HEADER_CASES = {
    "no header": ("W0", None),
    "basic": ("W0", "Basic YWxpY2U6YWxpY2U="),
    "digest": ("W0", 'Digest username="alice", realm="api", nonce="x", uri="/me", response="y"'),
    "other scheme carrying the token": ("W0", "Token {t}"),
    "bearer glued to the token": ("W0", "Bearer{t}"),
    # Never a credential; and granian passes a value with a non-ASCII byte on as an empty one.
    "empty header": ("WT", ""),
    "blank header": ("WT", "  "),
    "bearer with nothing": ("WR", "Bearer"),
    "bearer and a space": ("WR", "Bearer "),
    "bearer and spaces": ("WR", "Bearer     "),
    "extra part": ("WR", "Bearer {t} x"),
    "two tokens": ("WR", "Bearer {t} {t}"),
    "token then another scheme": ("WR", "Bearer {t} Basic YWxpY2U6YWxpY2U="),
    # What a WSGI server makes of two Authorization headers (joined with a comma).
    "joined twice": ("WR", "Bearer {t},Bearer {t}"),
    "joined twice with a space": ("WR", "Bearer {t}, Bearer {t}"),
    "joined with an empty bearer": ("WR", "Bearer {t},Bearer"),
    "joined after basic": ("WR", "Basic YWxpY2U6YWxpY2U=,Bearer {t}"),
    "joined after an empty bearer": ("WR", "Bearer,Bearer {t}"),
    "joined before basic": ("WR", "Bearer {t},Basic YWxpY2U6YWxpY2U="),
    "lowercase bearer": ("200", "bearer {t}"),
    "uppercase bearer": ("200", "BEARER {t}"),
    "several spaces before the token": ("200", "Bearer   {t}"),
    "trailing space": ("200", "Bearer {t} "),
}


@pytest.mark.parametrize("name", list(HEADER_CASES))
def test_authorization_header(judge, token, name):
    kind, template = HEADER_CASES[name]
    header = None if template is None else template.replace("{t}", token)
    judge.expect(kind, header, secret=token)


# name -> (expected, how the request is sent)
METHOD_CASES = {
    "header and query": ("WR", dict(header=True, query=True)),
    "header and form body": ("WR", dict(header=True, form=True)),
    "header, query and form body": ("WR", dict(header=True, query=True, form=True)),
    "header and an empty access_token in the query": ("WR", dict(header=True, query="")),
    "query only": ("W0", dict(query=True)),
    "form body only": ("W0", dict(form=True)),
    "query and form body": ("W0", dict(query=True, form=True)),
}


@pytest.mark.parametrize("name", list(METHOD_CASES))
def test_token_sent_by_another_method(judge, token, name):
    """Only the header carries tokens: query and form-body tokens never authenticate,
    and a request combining them with the header is malformed."""
    kind, how = METHOD_CASES[name]
    send = {}
    if how.get("header"):
        send["authorization"] = f"Bearer {token}"
    if "query" in how:
        send["query"] = urlencode({"access_token": token if how["query"] is True else ""})
    if how.get("form"):
        send.update(
            method="post", data=urlencode({"access_token": token}), content_type="application/x-www-form-urlencoded"
        )
    response = judge.expect(kind, send.pop("authorization", None), secret=token, **send)
    assert response.status_code != 200


@pytest.mark.parametrize("body", ["too many fields", "too large"])
def test_unreadable_form_body_with_a_header_is_invalid_request(judge, token, body):
    """Django cannot parse the body, so whether it holds a second token is unknown: WR, not Django's bare 400."""
    if body == "too many fields":
        data = urlencode([(f"f{i}", "x") for i in range(1200)])
    else:
        data = "a=" + "x" * (3 * 1024 * 1024)
    judge.expect(
        "WR",
        f"Bearer {token}",
        secret=token,
        method="post",
        data=data,
        content_type="application/x-www-form-urlencoded",
    )


def test_token_in_json_body_is_not_a_token_method(judge, token):
    judge.expect("W0", None, secret=token, method="post", data={"access_token": token}, format="json")


def test_insufficient_scope_is_403_with_the_needed_scope(judge, make_token):
    bad = make_token(scope="openid profile")
    judge.token("WS", bad, scopes="api1")


def test_no_scope_claim_is_insufficient_scope(judge, make_token):
    judge.token("WS", make_token(scope=None), scopes="api1")


@pytest.mark.parametrize("with_header", [False, True], ids=["query only", "query and header"])
def test_token_in_the_query_is_not_echoed_as_json(judge, token, with_header):
    """The JSON answer does not reflect the request URL."""
    send = {"query": urlencode({"access_token": token})}
    judge.expect("WR" if with_header else "W0", f"Bearer {token}" if with_header else None, secret=token, **send)


@pytest.mark.parametrize("with_header", [False, True], ids=["query only", "query and header"])
def test_token_in_the_query_is_not_echoed_by_the_browsable_api(judge, token, with_header):
    send = {"query": urlencode({"access_token": token}), "HTTP_ACCEPT": "text/html"}
    judge.expect("WR" if with_header else "W0", f"Bearer {token}" if with_header else None, secret=token, **send)


@pytest.mark.parametrize("kind", ["W0", "WR", "WT", "WS"])
def test_challenge_without_resource_metadata_when_resource_is_unset(judge, jwks_config, make_token, kind):
    """resource_metadata (RFC 9728) appears only with RESOURCE set; the rest of the challenge is unchanged."""
    jwks_config(RESOURCE=None)
    token = make_token(scope="openid" if kind == "WS" else "api1")
    header = {"W0": None, "WR": f"Bearer {token} x", "WT": f"Bearer {token[:-4]}AAAA", "WS": f"Bearer {token}"}[kind]
    response = judge.send(header)
    assert_outcome(response, kind, scopes="api1", secrets=secrets_of(token), resource_metadata=None)
    judge.valid_still_works()


@pytest.mark.parametrize("header", ["Bearer\t{t}", "Bearer\n{t}", "Bearer\xa0{t}"], ids=["tab", "newline", "nbsp"])
def test_scheme_separated_by_other_whitespace_is_not_bearer(judge, token, header):
    """RFC 7235: one or more SP separate scheme and credentials; anything else is another scheme."""
    judge.expect("W0", header.replace("{t}", token), secret=token)
