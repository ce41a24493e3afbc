"""The production page's nginx and HAProxy configurations are the ones the proxy tests run (tests/support/proxies.py).

tests/project/proxies runs real nginx and HAProxy in front of the API with
the configurations of tests/support/proxies.py; every directive that passes a
header on, on the page, must be one of theirs, so the page cannot drift from
what is tested.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.pages import DOCS

PROXIES = Path(__file__).resolve().parents[1] / "support" / "proxies.py"


def _directives(text: str) -> set[str]:
    # In proxies.py the HAProxy lines are Python string literals: cut at their escaped newline, unescape quotes.
    found = re.findall(r"(proxy_set_header [^;\n]+;|http-request (?:set|del)-header (?:(?!\\n)[^\n])+)", text)
    return {re.sub(r"\s+", " ", line.replace("\\\\", "\\").replace('\\"', '"')).strip() for line in found}


def test_the_pages_proxy_directives_are_the_tested_ones():
    page = (DOCS / "production.md").read_text()
    shown = _directives(page)
    assert len(shown) >= 7, shown
    tested = _directives(PROXIES.read_text())
    assert sorted(shown - tested) == []
