"""Refuses a release whose version, CHANGELOG heading and tag disagree.

    python scripts/release_check.py [--tag v1.2.0]      # make release-check [TAG=v1.2.0]

The version is written in one place, ``jwks_auth.__version__`` (pyproject.toml
reads it from there). Always checked:

- the version is X.Y.Z, or X.Y.Z followed by aN, bN or rcN (PEP 440 and
  Semantic Versioning agree on that much);
- the newest release section of CHANGELOG.md (an ``## [Unreleased]`` section
  above it is allowed) is ``## [<version>] - <YYYY-MM-DD or unreleased>``, and
  no other section has that version: a version bump comes with its section.

With a tag, given or else every ``v*`` tag on HEAD (the release workflow's
first job passes the pushed tag), also:

- the tag is ``v<version>``;
- the section is dated (YYYY-MM-DD, a real date), not ``unreleased``.

Exits 1 with one line per disagreement. Reads the files, never imports
jwks_auth, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = Path("jwks_auth") / "__init__.py"
CHANGELOG = Path("CHANGELOG.md")
VERSION = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>.+?))?\s*$")
UNRELEASED = "unreleased"


@dataclass(frozen=True)
class Section:
    name: str
    date: str  # "" when the heading has none
    line: int


def read_version(root: Path) -> str:
    """The string assigned to ``__version__`` in jwks_auth/__init__.py ("" when there is none)."""
    tree = ast.parse((root / VERSION_FILE).read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return ""


def read_sections(root: Path) -> list[Section]:
    """Every ``## [...]`` heading of CHANGELOG.md, newest first as written."""
    sections = []
    for number, text in enumerate((root / CHANGELOG).read_text(encoding="utf-8").splitlines(), start=1):
        match = HEADING.match(text)
        if match:
            sections.append(Section(match["name"].strip(), (match["date"] or "").strip(), number))
    return sections


def head_tags(root: Path) -> list[str]:
    """The release tags (v*) on HEAD; none outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "tag", "--points-at", "HEAD", "--list", "v[0-9]*"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return result.stdout.split() if result.returncode == 0 else []


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def problems(root: Path, tags: list[str]) -> list[str]:
    """What disagrees, one sentence each; empty when the release may go ahead."""
    found = []
    version = read_version(root)
    if not version:
        return [f"{VERSION_FILE}: no __version__ = '...' string"]
    if not VERSION.fullmatch(version):
        found.append(f"{VERSION_FILE}: __version__ {version!r} is not X.Y.Z (optionally followed by aN, bN or rcN)")

    releases = [section for section in read_sections(root) if section.name.lower() != UNRELEASED]
    mine = [section for section in releases if section.name == version]
    if not releases:
        found.append(f"{CHANGELOG}: no release section (## [{version}] - YYYY-MM-DD)")
    elif not mine:
        found.append(f"{CHANGELOG}: no section for {version} (## [{version}] - YYYY-MM-DD)")
    else:
        if releases[0].name != version:
            found.append(
                f"{CHANGELOG}:{releases[0].line}: the newest section is {releases[0].name}, not the version {version}"
            )
        if len(mine) > 1:
            lines = ", ".join(str(section.line) for section in mine)
            found.append(f"{CHANGELOG}: {len(mine)} sections for {version} (lines {lines})")
        section = mine[0]
        if not section.date:
            found.append(f"{CHANGELOG}:{section.line}: the heading of {version} has no date (' - YYYY-MM-DD')")
        elif section.date.lower() != UNRELEASED and not _is_date(section.date):
            found.append(
                f"{CHANGELOG}:{section.line}: the date of {version} is {section.date!r}, not YYYY-MM-DD or unreleased"
            )
        elif tags and not _is_date(section.date):
            found.append(f"{CHANGELOG}:{section.line}: {version} is still 'unreleased': give it the release date")

    for tag in tags:
        if tag != f"v{version}":
            found.append(f"tag {tag} does not match the version {version} (expected v{version})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="", help="the release tag (default: the v* tags on HEAD, if any)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tags = [args.tag] if args.tag else head_tags(args.root)
    found = problems(args.root, tags)
    for line in found:
        print(f"release-check: {line}", file=sys.stderr)
    if found:
        return 1
    agreeing = ["jwks_auth.__version__", "CHANGELOG.md", *tags]
    print(f"release-check: {read_version(args.root)}: {', '.join(agreeing)} agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
