"""The API reference documents every public module: each top-level module of jwks_auth that declares ``__all__``.

``automodule`` documents a module's ``__all__``, so a name added to one is in
the reference at the next ``make docs``; a new public module must be added to
docs/api.md, or this fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jwks_auth
from tests.docs.pages import DOCS


def _public_modules() -> set[str]:
    package = Path(jwks_auth.__file__).resolve().parent
    found = set()
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        targets = [t for node in tree.body if isinstance(node, ast.Assign) for t in node.targets]
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            found.add(f"jwks_auth.{path.stem}")
    return found


def test_every_public_module_is_in_the_api_reference():
    documented = set(re.findall(r"^\.\. automodule:: (\S+)$", (DOCS / "api.md").read_text(), re.M))
    public = _public_modules() | {"jwks_auth.testing"}  # the one public subpackage: the testing kit
    assert len(public) >= 10
    assert sorted(public - documented) == []
