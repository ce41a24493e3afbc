"""The PyPI page and the root README link into the published site: every such link names a page (and heading) of docs/.

On PyPI those links are absolute URLs, which the site build cannot check; a
page renamed or a heading reworded would leave them dangling on the next
release.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.pages import DOCS, PACKAGE_README

SITE = "https://django-jwks-auth.readthedocs.io/en/latest/"
ROOT_README = DOCS.parent / "README.md"


def _slug(heading: str) -> str:
    """MyST's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#{1,3} (.+)$", page.read_text(), re.M)}


def _links(text: str) -> set[str]:
    return set(re.findall(re.escape(SITE) + r"([\w/.#-]*)", text))


def test_every_site_link_names_a_page_and_heading():
    readmes = [PACKAGE_README] + ([ROOT_README] if ROOT_README.exists() else [])
    links = set().union(*(_links(path.read_text()) for path in readmes))
    assert len(links) >= 10
    broken = []
    for link in sorted(links):
        path, _, anchor = link.partition("#")
        page = DOCS / (path.removesuffix(".html") + ".md" if path else "index.md")
        if not page.exists() or (anchor and anchor not in _anchors(page)):
            broken.append(link)
    assert broken == []
