"""Structure checks for jwks_auth: layers, import cycles, class and function sizes.

    python scripts/check_structure.py [--max-class 250] [--max-function 60]

1. An import graph from the source (ast): module-level imports, imports
   deferred into functions, and imports under ``TYPE_CHECKING``; any cycle,
   of any kind, is reported.
2. The layers (``LAYERS``, bottom first): a module may import its own layer
   and the layers below it, never one above, type-only imports included.
3. Each module imported first, in a fresh interpreter: a cycle shows as a
   "partially initialized module" ImportError.
4. Every class and function with more lines of code than the limits (blank
   lines, comments and docstrings not counted).
Exits 1 when anything is found.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "jwks_auth"

# Bottom first. A module belongs to the first layer with a prefix that names it or a package above it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("jwks_auth.reasons", "jwks_auth.exceptions", "jwks_auth.signals", "jwks_auth.utils")),
    ("conf", ("jwks_auth.conf",)),
    ("keys", ("jwks_auth.keys",)),
    ("validation", ("jwks_auth.validation", "jwks_auth.access_token")),
    ("sender", ("jwks_auth.sender",)),
    ("web", ("jwks_auth.web", "jwks_auth.users")),
    ("ops", ("jwks_auth.ops",)),
    # The Shared Signals receiver: verifies SETs with the key store, writes what validation reads.
    ("ssf", ("jwks_auth.ssf",)),
    # What a user imports or Django loads: the doors and the plumbing.
    (
        "public",
        (
            "jwks_auth.authentication",
            "jwks_auth.permissions",
            "jwks_auth.ninja",
            "jwks_auth.decorators",
            "jwks_auth.middleware",
            "jwks_auth.openapi",
            "jwks_auth.renderers",
            "jwks_auth.testing",
            "jwks_auth.urls",
            "jwks_auth.checks",
            "jwks_auth.apps",
            "jwks_auth.management",
            "jwks_auth",
        ),
    ),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    targets = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            targets.add(name)
    return targets


def layer_of(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    raise SystemExit(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Every import of a module in a higher layer (the package's face, ``jwks_auth`` itself, excepted)."""
    problems = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets - {PACKAGE}):
            if layer_of(target) > layer_of(module):
                problems.append(
                    f"upward import: {module} ({LAYERS[layer_of(module)][0]}) imports "
                    f"{target} ({LAYERS[layer_of(target)][0]})"
                )
    return problems


def import_edges(
    found: dict[str, Path],
) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, edges deferred into functions, edges under ``TYPE_CHECKING``)."""
    known = set(found)
    eager: dict[str, set[str]] = {m: set() for m in found}
    deferred: dict[str, set[str]] = {m: set() for m in found}
    typing_only: dict[str, set[str]] = {m: set() for m in found}

    def visit(nodes: list[ast.stmt], module: str, is_package: bool, in_function: bool, in_typing: bool = False) -> None:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                kind = typing_only if in_typing else deferred if in_function else eager
                kind[module] |= _targets(node, module, is_package, known)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.body, module, is_package, in_function, True)
                visit(node.orelse, module, is_package, in_function, in_typing)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, module, is_package, True, in_typing)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit(
                            [c for c in children if isinstance(c, ast.stmt)]
                            + [s for h in children if isinstance(h, ast.ExceptHandler) for s in h.body],
                            module,
                            is_package,
                            in_function,
                            in_typing,
                        )

    for module, path in found.items():
        visit(ast.parse(path.read_text()).body, module, path.name == "__init__.py", False)
    return eager, deferred, typing_only


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return result


def fresh_imports(found: dict[str, Path]) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    failures = []
    for module in found:
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode and "partially initialized" in done.stderr:
            failures.append(f"{module}: {done.stderr.strip().splitlines()[-1]}")
    return failures


def _code_lines(node: ast.AST, source: list[str]) -> int:
    """Lines of ``node`` that hold code: blank lines, comment lines and docstrings are not counted.

    So the limits measure code, not how a formatter wraps it or how much it is explained.
    """
    docstrings: set[int] = set()
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    first, last = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
    return sum(
        1
        for number in range(first, last + 1)
        if number not in docstrings and source[number - 1].strip() and not source[number - 1].strip().startswith("#")
    )


def long_definitions(found: dict[str, Path], max_class: int, max_function: int) -> list[str]:
    problems = []
    for module, path in found.items():
        text = path.read_text()
        source = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                length = _code_lines(node, source)
                limit = max_class if isinstance(node, ast.ClassDef) else max_function
                if length > limit:
                    problems.append(f"{module}.{node.name}: {length} lines of code (limit {limit})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-class", type=int, default=250)
    parser.add_argument("--max-function", type=int, default=60)
    args = parser.parse_args()
    found = modules()
    eager, deferred, typing_only = import_edges(found)
    combined = {m: eager[m] | deferred[m] | typing_only[m] for m in found}
    problems = [f"import cycle: {' <-> '.join(c)}" for c in cycles(eager)]
    problems += [
        f"import cycle through a deferred or type-only import: {' <-> '.join(c)}"
        for c in cycles(combined)
        if c not in cycles(eager)
    ]
    problems += upward_imports(combined)
    problems += fresh_imports(found)
    problems += long_definitions(found, args.max_class, args.max_function)
    for problem in problems:
        print(problem)
    print(f"{len(found)} modules checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
