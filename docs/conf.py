"""Sphinx configuration of the django-jwks-auth documentation site (``make docs``; Read the Docs: .readthedocs.yaml).

Pages are Markdown (MyST). The build runs with ``-W --keep-going -n``: every
warning fails it, and nitpicky mode reports every cross-reference that does not
resolve, so a renamed page, heading, setting or Python name breaks ``make docs``
(and ``make test``, which runs it). No network is used: there is no intersphinx
and no linkcheck; references to Django's, DRF's or Ninja's own names are left
unresolved on purpose (``nitpick_ignore_regex`` below).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

# The API reference imports jwks_auth, which needs configured Django settings.
import django  # noqa: E402
from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "jwks_auth"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        SECRET_KEY="docs",
        JWKS_AUTH={"ISSUER": "https://idp.example.com", "AUDIENCE": ["orders-api"]},
    )
    django.setup()

import jwks_auth  # noqa: E402

project = "django-jwks-auth"
author = "jwks_auth contributors"
copyright = "jwks_auth contributors, BSD-3-Clause"
release = jwks_auth.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "settings_reference",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "screenshots", "README.md"]

myst_enable_extensions = ["colon_fence", "deflist"]
# Links such as [x](keycloak.md#roles-as-scopes) must name a heading that exists.
myst_heading_anchors = 3

nitpicky = True
# Without network there is no intersphinx: names of Python, Django, DRF, Ninja
# and other libraries cannot resolve. Every jwks_auth name must.
nitpick_ignore_regex = [
    (r"py:.*", r"(?!jwks_auth\b).*"),
    # A type alias, not a class: autodoc names it in signatures.
    (r"py:class", r"jwks_auth\.decorators\.ViewFunc"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": False}

html_theme = "furo"
html_title = f"django-jwks-auth {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# Read the Docs sets this; keep local builds reproducible.
if os.environ.get("READTHEDOCS"):
    html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")
