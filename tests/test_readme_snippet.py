"""The package README's snippet (the PyPI page, and the site's quick start, which includes it), run as a new user would.

Wheel, fresh venv, startproject, real tokens. The snippet is read from
jwks_auth/README.md, so the documentation cannot drift from what works. Under
nox the wheel is the one the matrix built (JWKS_AUTH_WHEEL), and the suite
runs from a copy of tests/ (JWKS_AUTH_PACKAGE_README: that copy's package
README); from the repository the test builds the wheel itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.loopback import free_port
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
PACKAGE_README = Path(os.environ.get("JWKS_AUTH_PACKAGE_README") or HERE.parent / "jwks_auth" / "README.md")
SNIPPET_ISSUER = "https://idp.example.com"
# Tools the fresh venv must not inherit from the developer's environment.
_SCRUBBED = ("DJANGO_", "OIDC_", "API_", "JWKS_AUTH", "PYTHONPATH", "VIRTUAL_ENV", "TEST_")


def snippet_files(readme: str) -> dict[str, str]:
    """The python blocks between the snippet markers, by the file their first line names."""
    match = re.search(r"<!-- snippet: in-your-own-project .*?-->\n(.*?)<!-- /snippet -->", readme, re.S)
    assert match, "the package README lost its snippet markers"
    section = match.group(1)
    files = {}
    for block in re.findall(r"```python\n(.*?)```", section, re.S):
        first, _, body = block.partition("\n")
        match = re.fullmatch(r"# (\w+\.py)", first.strip())
        assert match, f"a snippet block must start with '# <file>.py', not {first!r}"
        files[match.group(1)] = body
    return files


def test_the_quick_start_includes_the_snippet():
    """docs/quickstart.md shows the snippet by including it from the package README, not by a copy."""
    quickstart = (HERE.parent / "docs" / "quickstart.md").read_text()
    marker = re.search(r"<!-- snippet: in-your-own-project .*?-->", PACKAGE_README.read_text())
    assert marker and f'start-after: "{marker.group(0)}"' in quickstart


def _wheel(tmp: Path) -> Path:
    given = os.environ.get("JWKS_AUTH_WHEEL")
    if given:
        return Path(given)
    pytest.importorskip("build", reason="building the wheel needs `build` (requirements-dev.txt)")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp), str(HERE.parent)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp.glob("django_jwks_auth-*.whl")
    return wheel


def _constraints(path: Path) -> Path:
    """This interpreter's versions of everything, so the fresh venv gets the session's Django and DRF."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    pins = [line for line in frozen.splitlines() if "==" in line and not line.lower().startswith("django-jwks-auth")]
    path.write_text("\n".join(pins) + "\n")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, JWKSProvider, SigningKey]]:
    """A new startproject with the wheel and the README's snippet, served by runserver."""
    tmp = tmp_path_factory.mktemp("readme")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    python = tmp / "venv" / "bin" / "python"
    venv.create(tmp / "venv", with_pip=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            str(_constraints(tmp / "constraints.txt")),
            str(_wheel(tmp)),
        ],
        check=True,
        env=env,
        timeout=600,
    )
    (tmp / "site").mkdir()
    subprocess.run(
        [str(tmp / "venv" / "bin" / "django-admin"), "startproject", "mysite", str(tmp / "site")],
        check=True,
        env=env,
        timeout=120,
    )

    key = SigningKey.rsa(kid="readme-key")
    provider = JWKSProvider()
    provider.set_keys(key)
    package = tmp / "site" / "mysite"
    files = snippet_files(PACKAGE_README.read_text())
    with open(package / "settings.py", "a") as settings:
        # The snippet exactly, but for the issuer: the test's loopback provider.
        settings.write("\n" + files.pop("settings.py").replace(SNIPPET_ISSUER, provider.issuer))
    for name, body in files.items():
        (package / name).write_text(body)

    check = subprocess.run(
        [str(python), "manage.py", "check", "--fail-level", "WARNING"],
        cwd=tmp / "site",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    port = free_port()
    log = open(tmp / "runserver.log", "wb")
    server = subprocess.Popen(
        [str(python), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=tmp / "site",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "/orders/", timeout=2)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "runserver.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        yield url, provider, key
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        provider.stop()


def _token(provider: JWKSProvider, key: SigningKey, scope: str) -> str:
    return mint(key, access_claims(provider.issuer, audience="orders-api", scope=scope, sub="alice"))


def _get(url: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url + "/orders/", headers=headers, timeout=10)


def test_a_valid_token_is_200(site):
    url, provider, key = site
    response = _get(url, _token(provider, key, "orders.read"))
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "alice", "scopes": ["orders.read"]}


def test_no_token_is_401_with_the_bearer_challenge(site):
    url, _, _ = site
    response = _get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')


def test_a_token_without_the_scope_is_403(site):
    url, provider, key = site
    response = _get(url, _token(provider, key, "profile"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert 'scope="orders.read"' in response.headers["WWW-Authenticate"]


def test_a_tampered_token_is_401_invalid_token(site):
    url, provider, key = site
    header, payload, signature = _token(provider, key, "orders.read").split(".")
    response = _get(url, f"{header}.{payload}.{signature[:-4]}AAAA")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
