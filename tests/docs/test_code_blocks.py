"""Every Python block of the documentation runs: imports resolve, classes and views are built, settings validate.

The blocks run in this suite's Django project (tests/settings.py) against the
installed package; a block that sets ``JWKS_AUTH`` also has it checked by the
one settings validation (``problems``) and turned into issuers, as the
server would at its first request. A block the site only shows says why
(``<!-- not run: ... -->``).
"""

from __future__ import annotations

import ast
import json
import re
from importlib import metadata
from typing import Any

import pytest

from jwks_auth.conf.schema import problems
from jwks_auth.conf.settings import issuer_configs
from jwks_auth.conf.table import LEGACY_BY_NAME
from tests.docs.pages import ROOT, Block, blocks, pages

ALL = blocks()


def run(block: Block) -> dict[str, Any]:
    """Execute a block as a module of its own, with what a settings.py of a new project defines."""
    namespace: dict[str, Any] = {
        "__name__": f"docs_block_{block.line}",
        "INSTALLED_APPS": ["django.contrib.auth", "django.contrib.contenttypes"],
        "MIDDLEWARE": [],
    }
    exec(compile(block.code, block.id, "exec"), namespace)
    return namespace


def check_settings(config: Any) -> None:
    assert isinstance(config, dict), "JWKS_AUTH is a dict"
    entries = [config, *(entry for entry in config.get("ISSUERS", []) if isinstance(entry, dict))]
    assert [name for entry in entries for name in entry if name in LEGACY_BY_NAME] == [], "a spelling from before 1.0"
    assert [f"{p.id} {p.where} {p.message}" for p in problems(config)] == []
    assert issuer_configs(config), "the settings name at least one issuer"


def test_the_pages_have_python_blocks():
    pages = {block.page for block in ALL}
    assert {"providers/keycloak.md", "front-doors.md", "PyPI page"} <= pages
    assert sum(block.kind == "provider" for block in ALL) >= 10


def test_every_block_not_run_here_says_why():
    unexplained = [b.id for b in ALL if b.kind in ("fragment", "not run", "elsewhere") and len(b.detail) < 10]
    assert unexplained == []


@pytest.mark.parametrize("block", [b for b in ALL if b.kind == "fragment"], ids=lambda b: b.id)
def test_fragment_compiles_and_its_imports_resolve(block):
    tree = ast.parse(block.code, block.id)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    exec(compile(ast.Module(body=imports, type_ignores=[]), block.id, "exec"), {})


@pytest.mark.parametrize("block", [b for b in ALL if b.kind in ("run", "provider")], ids=lambda b: b.id)
def test_block_runs(block):
    namespace = run(block)
    if "JWKS_AUTH" in namespace:
        check_settings(namespace["JWKS_AUTH"])
    else:
        assert block.kind == "run", "a provider block sets JWKS_AUTH"


@pytest.mark.parametrize("block", [b for b in ALL if b.kind == "elsewhere"], ids=lambda b: b.id)
def test_a_project_file_run_elsewhere_validates_here_too(block):
    """Another test runs the whole project in a new startproject; here its settings must validate too."""
    if "JWKS_AUTH" not in block.code:
        pytest.skip(f"a module of that project, run by {block.detail}")
    check_settings(run(block)["JWKS_AUTH"])


def test_every_extra_the_pages_install_exists():
    """`pip install "django-jwks-auth[x]"` in a page names an extra that the distribution declares."""
    declared = _declared_extras()
    named = {extra for text in pages().values() for extra in re.findall(r"django-jwks-auth\[(\w+)\]", text)}
    assert named and named <= declared, named - declared


def _declared_extras() -> set[str]:
    try:
        return set(metadata.metadata("django-jwks-auth").get_all("Provides-Extra") or [])
    except metadata.PackageNotFoundError:  # the source tree, not installed: read pyproject.toml
        import tomllib

        return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])


def _fenced(language: str) -> list[tuple[str, str]]:
    fence = re.compile(rf"^```{language}\n(.*?)^```", re.S | re.M)
    return [(page, body) for page, text in pages().items() for body in fence.findall(text)]


def test_json_examples_parse():
    examples = _fenced("json")
    assert examples
    for page, body in examples:
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:  # one member shown alone: "name": value
            parsed = json.loads("{" + body + "}")
        assert isinstance(parsed, dict), page


def test_every_management_command_shown_exists():
    """`python manage.py NAME` in a page's shell block: a command of jwks_auth's or of Django's."""
    from django.core.management import get_commands

    known = get_commands()
    shown = {(page, name) for page, body in _fenced("sh") for name in re.findall(r"python manage\.py (\w+)", body)}
    assert shown
    assert [(page, name) for page, name in shown if name not in known] == []
