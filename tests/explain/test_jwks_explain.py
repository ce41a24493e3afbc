"""manage.py jwks_explain: each step of a token's check, the setting that governs it, exit 0 only if accepted."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from tests.issuers.shapes import SHAPES, Shape, entra, keycloak
from tests.support.keys import SigningKey
from tests.support.processes import REPO, api_env
from tests.support.tokens import mint

pytestmark = pytest.mark.django_db(databases=[])


def explain(token: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """The command's exit status and output."""
    out = io.StringIO()
    try:
        if stdin is None:
            call_command("jwks_explain", token, *args, stdout=out, no_color=True)
        else:
            call_command("jwks_explain", *args, stdout=out, stdin=io.StringIO(stdin), no_color=True)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def steps(output: str) -> dict[str, str]:
    """``{step name: 'PASS'|'FAIL'}``, the last line of a name winning."""
    found = {}
    for line in output.splitlines():
        if line[:4] in ("PASS", "FAIL"):
            found[line[6:26].strip()] = line[:4]
    return found


@pytest.fixture
def deploy(settings, make_provider):
    def apply(shape: Shape, *drop: str, **overrides) -> str:
        provider = make_provider(shape.issuer, shape.key, **shape.jwk_options)
        config = {"ISSUER": provider.issuer, **shape.settings}
        if shape.issuer is not None:
            config["JWKS_URI"] = provider.jwks_uri
        for name in drop:
            config.pop(name, None)
        config.update(overrides)
        settings.JWKS_AUTH = config
        return provider.issuer

    return apply


def _cases(kind: str) -> list[tuple[str, str]]:
    return [(name, label) for name, make in SHAPES.items() for label in getattr(make(), kind)]


@pytest.mark.parametrize("name, label", _cases("accepted"))
def test_every_profiles_access_tokens_are_explained_as_accepted(deploy, name, label):
    shape = SHAPES[name]()
    issuer = deploy(shape)
    header, claims = shape.accepted[label](issuer)
    token = mint(shape.key, claims, header=header)
    status, output = explain(token, "--scopes", shape.scope)
    assert status == 0, output
    assert "This API would accept the token." in output and "FAIL" not in output
    found = steps(output)
    for step in ("format", "issuer", "header", "alg", "kid", "typ", "key", "algorithm", "signature", "scopes"):
        assert found.get(step) == "PASS", (step, output)
    assert found["claims: aud"] == "PASS" and found["required scopes"] == "PASS" and found["binding"] == "PASS"
    assert token not in output and token.split(".")[2] not in output  # never the token, never its signature
    assert json.dumps(claims["iss"]) in output  # the decoded claims are the operator's to read


@pytest.mark.parametrize("name, label", _cases("refused"))
def test_every_profiles_refused_tokens_exit_1(client, deploy, name, label):
    """The same verdict as a request: each token the API refuses is explained as refused."""
    shape = SHAPES[name]()
    issuer = deploy(shape)
    header, claims = shape.refused[label](issuer)
    status, output = explain(mint(shape.key, claims, header=header))
    assert status == 1 and "FAIL" in output and "This API would refuse the token" in output, output


def test_a_forgotten_profile_is_named_and_every_later_step_still_reported(deploy):
    shape = keycloak()
    issuer = deploy(shape, "PROFILE", "SCOPE_CLAIMS")
    header, claims = shape.accepted["user"](issuer)
    status, output = explain(mint(shape.key, claims, header=header))
    assert status == 1
    found = steps(output)
    assert found["typ"] == "FAIL" and "PROFILE 'keycloak'" in output and "JWKS_AUTH['PROFILE']" in output
    # Validation stops at typ; the explanation goes on: the key, the signature and the claims were checked too.
    assert found["key"] == "PASS" and found["signature"] == "PASS" and found["claims: exp"] == "PASS"
    assert found["claims: required"] == "FAIL"  # rfc9068 wants client_id, which Keycloak does not send


def test_a_forged_signature_fails_only_the_signature(deploy):
    shape = keycloak()
    issuer = deploy(shape)
    header, claims = shape.accepted["user"](issuer)
    status, output = explain(mint(SigningKey.rsa(kid=shape.key.kid), claims, header=header))
    found = steps(output)
    assert status == 1 and found["signature"] == "FAIL" and found["key"] == "PASS" and found["claims: aud"] == "PASS"


def test_an_http_issuer_off_loopback_names_allow_insecure_http(settings, make_provider):
    key = SigningKey.rsa(kid="k1")
    settings.JWKS_AUTH = {"ISSUER": "http://keycloak:8080/realms/demo", "AUDIENCE": ["api1"]}
    claims = {"iss": "http://keycloak:8080/realms/demo", "aud": "api1", "exp": int(time.time()) + 60}
    status, output = explain(mint(key, claims))
    assert status == 1 and steps(output)["key"] == "FAIL"
    assert "ALLOW_INSECURE_HTTP" in output and "https is required" in output


@pytest.mark.parametrize("aud, expected", [("api1/", "trailing slash"), ("client", "the id of the client")])
def test_a_close_audience_names_audience(deploy, aud, expected):
    shape = SHAPES["dev"]()
    issuer = deploy(shape)
    header, claims = shape.accepted["client credentials"](issuer)
    status, output = explain(mint(shape.key, {**claims, "aud": aud}, header=header))
    assert status == 1 and steps(output)["claims: aud"] == "FAIL"
    assert "JWKS_AUTH['AUDIENCE']" in output and expected in output


def test_scopes_in_an_unread_claim_name_scope_claims(deploy):
    """Entra app roles read with the rfc9068 profile: no scope at all, and roles holds the needed one."""
    shape = entra()
    issuer = deploy(shape, "PROFILE", "SCOPE_CLAIMS", TOKEN_TYPES=["JWT"], REQUIRED_CLAIMS=["sub"])
    header, claims = shape.accepted["v2 app-only (roles)"](issuer)
    status, output = explain(mint(shape.key, claims, header=header), "--scopes", shape.scope)
    found = steps(output)
    assert found["scopes"] == "PASS" and "none found" in output
    assert "roles" in output and "SCOPE_CLAIMS" in output
    assert found["required scopes"] == "FAIL" and status == 1


def test_an_expired_token_and_a_required_binding(deploy):
    shape = SHAPES["dev"]()
    issuer = deploy(shape, DPOP="required", LEEWAY=0)
    header, claims = shape.accepted["client credentials"](issuer)
    status, output = explain(mint(shape.key, {**claims, "exp": int(time.time()) - 10}, header=header))
    found = steps(output)
    assert status == 1 and found["claims: exp"] == "FAIL" and found["binding"] == "FAIL"
    assert "DPOP ('required')" in output and "LEEWAY" in output


def test_a_token_from_stdin_with_its_scheme(deploy):
    shape = SHAPES["dev"]()
    issuer = deploy(shape)
    header, claims = shape.accepted["client credentials"](issuer)
    status, output = explain("", stdin=f"Bearer {mint(shape.key, claims, header=header)}\n")
    assert status == 0, output


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b", "eyJhbGciOiJSUzI1NiJ9.e30.x" + "y" * 20000])
def test_what_is_not_a_token_is_said(deploy, token):
    deploy(SHAPES["dev"]())
    status, output = explain(token)
    assert status == 1 and steps(output)["format"] == "FAIL"


def test_exit_status_of_the_command_line(make_provider, tmp_path):
    """As an operator runs it: a token on stdin, 0 when accepted, 1 when refused."""
    shape = SHAPES["dev"]()
    provider = make_provider(None, shape.key)
    env = api_env(provider.issuer, tmp_path / "var", None, {"PROFILE": "dev"})
    header, claims = shape.accepted["client credentials"](provider.issuer)
    command = [sys.executable, "-m", "django", "jwks_explain", "--scopes", "api1"]
    for token, expected in [(mint(shape.key, claims, header=header), 0), (mint(shape.key, claims, typ="JWT"), 1)]:
        result = subprocess.run(command, cwd=REPO, env=env, input=token, capture_output=True, text=True, timeout=60)
        assert result.returncode == expected, result.stdout + result.stderr
    assert "typ" in result.stdout and "FAIL" in result.stdout


def test_settings_that_cannot_work_are_said_not_a_traceback(settings):
    settings.JWKS_AUTH = {"ISSUER": "https://idp.example", "AUDIENCE": ["api1"], "PROFILE": "keycloack"}
    status, output = explain("a.b.c")
    assert status == 1 and "JWKS_AUTH cannot be read" in output and "'keycloack'" in output


def test_an_untrusted_issuer_with_several_issuers_stops_there(settings, make_provider):
    shape = SHAPES["dev"]()
    first, second = make_provider(None, shape.key), make_provider(None, shape.key)
    settings.JWKS_AUTH = {"ISSUERS": [first.issuer, second.issuer], "AUDIENCE": ["api1"]}
    header, claims = shape.accepted["client credentials"]("https://elsewhere.example")
    status, output = explain(mint(shape.key, claims, header=header))
    assert status == 1 and steps(output)["issuer"] == "FAIL" and "no issuer's settings apply" in output
