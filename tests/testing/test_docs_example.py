"""docs/testing.md's example project, run as a new user would: wheel, fresh venv, startproject, pytest-django.

The files are read from the page, so the documentation cannot drift from what
works. The project's issuer (``https://idp.example.com``) does not exist, the
project has no conftest.py: the kit's pytest plugin comes with the wheel.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

from tests.test_readme_snippet import _SCRUBBED, PACKAGE_README, _constraints, _wheel, snippet_files

pytestmark = pytest.mark.slow

PAGE = Path(os.environ.get("JWKS_AUTH_TESTING_DOC") or Path(__file__).resolve().parents[2] / "docs" / "testing.md")
#: Files of the example that go beside manage.py; the others go in the project's package.
AT_ROOT = ("pytest.ini", "test_orders.py")


def example_files(page: str) -> dict[str, str]:
    """The code blocks between the example markers, by the file their first line names."""
    match = re.search(r"<!-- example: testing-project .*?-->\n(.*?)<!-- /example -->", page, re.S)
    assert match, "docs/testing.md lost its example markers"
    files = {}
    for block in re.findall(r"```(?:python|ini)\n(.*?)```", match.group(1), re.S):
        first, _, body = block.partition("\n")
        name = re.fullmatch(r"# ([\w.]+)", first.strip())
        assert name, f"an example block must start with '# <file>', not {first!r}"
        files[name.group(1)] = body
    return files


def test_the_example_names_every_file() -> None:
    assert set(example_files(PAGE.read_text())) == {"settings.py", "views.py", "urls.py", *AT_ROOT}


def _new_project(tmp_path: Path, packages: list[str], files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A fresh venv with the wheel and ``packages``, a startproject ``mysite`` with ``files``; its pytest run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    python = tmp_path / "venv" / "bin" / "python"
    venv.create(tmp_path / "venv", with_pip=True)
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    constraints = ["-c", str(_constraints(tmp_path / "constraints.txt"))]
    subprocess.run([*install, *constraints, str(_wheel(tmp_path)), *packages], check=True, env=env, timeout=600)
    site = tmp_path / "site"
    site.mkdir()
    admin = tmp_path / "venv" / "bin" / "django-admin"
    subprocess.run([str(admin), "startproject", "mysite", str(site)], check=True, env=env, timeout=120)
    files = dict(files)
    with open(site / "mysite" / "settings.py", "a") as settings:
        settings.write("\n" + files.pop("settings.py"))
    for name, body in files.items():
        (site / name if name in AT_ROOT else site / "mysite" / name).write_text(body)
    assert not list(site.rglob("conftest.py"))
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_docs_example_passes_in_a_new_project(tmp_path: Path) -> None:
    run = _new_project(tmp_path, ["pytest-django", "django-ninja"], example_files(PAGE.read_text()))
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b12 passed\b", run.stdout), run.stdout


def test_the_readme_tests_pass_with_only_the_wheel_and_pytest_django(tmp_path: Path) -> None:
    """The issue's three tests (the package README's), on the README's own project snippet."""
    readme = PACKAGE_README.read_text()
    match = re.search(r"<!-- snippet: testing-your-project .*?-->\n```python\n# test_orders.py\n(.*?)```", readme, re.S)
    assert match, "the package README lost its testing snippet"
    files = {
        **snippet_files(readme),
        "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n",
        "test_orders.py": match.group(1),
    }
    run = _new_project(tmp_path, ["pytest-django"], files)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b3 passed\b", run.stdout), run.stdout
