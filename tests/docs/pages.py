"""The Python blocks of the documentation site (docs/) and of the package README (the PyPI page).

A block's kind comes from the HTML comment on the line before its fence (an
HTML comment shows on neither GitHub, PyPI nor the site):

- ``<!-- provider: NAME [LABEL] -->``: a provider's ``JWKS_AUTH``, proved by
  tests/docs/test_providers.py with tokens in the shape of ``NAME``
  (tests/issuers/shapes.py);
- every block between ``<!-- snippet: ... -->`` and ``<!-- /snippet -->`` (or
  ``<!-- example: ... -->`` and ``<!-- /example -->``): a whole project that
  another test runs in a new ``startproject`` (the comment names it), here
  kind "elsewhere";
- ``<!-- fragment: WHY -->``: a piece of a larger file (a test's body, a
  method): compiled, and its imports resolved;
- ``<!-- not run: WHY -->``: shown only, for the reason given;
- none: run by tests/docs/test_code_blocks.py (a block that sets ``JWKS_AUTH``
  has it validated as well).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Under nox the suite runs from a copy of tests/ with the package README beside it.
PACKAGE_README = Path(os.environ.get("JWKS_AUTH_PACKAGE_README") or ROOT / "jwks_auth" / "README.md")

_FENCE = re.compile(r"^```python[ \t]*$")
_MARKER = re.compile(r"^<!--\s*(provider|fragment|not run):\s*(.*?)\s*-->$")
_REGION = re.compile(r"^<!--\s*(snippet|example):\s*(.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    page: str  # relative to docs/, or "PyPI page"
    line: int  # of the opening fence, 1-based
    code: str
    kind: str  # "run", "provider", "elsewhere", "fragment" or "not run"
    detail: str = ""  # the provider and label, the test that runs it, or why it is not run

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks(text: str, page: str) -> list[Block]:
    lines = text.splitlines()
    found = []
    index = 0
    region = None
    while index < len(lines):
        opened = _REGION.match(lines[index])
        if opened:
            region = opened.group(2)
        elif re.match(r"^<!--\s*/(snippet|example)\s*-->$", lines[index]):
            region = None
        if not _FENCE.match(lines[index]):
            index += 1
            continue
        end = lines.index("```", index + 1)
        before = lines[index - 1].strip() if index else ""
        marker = _MARKER.match(before)
        kind, detail = (marker.group(1), marker.group(2)) if marker else ("run", "")
        if region is not None:
            kind, detail = "elsewhere", region
        code = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(page, index + 1, code, kind, detail))
        index = end + 1
    return found


def pages() -> dict[str, str]:
    texts = {str(path.relative_to(DOCS)): path.read_text() for path in sorted(DOCS.rglob("*.md"))}
    texts = {name: text for name, text in texts.items() if not name.startswith("_build")}
    texts["PyPI page"] = PACKAGE_README.read_text()
    return texts


def blocks() -> list[Block]:
    return [block for page, text in pages().items() for block in _blocks(text, page)]
