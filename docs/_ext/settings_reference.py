"""The settings reference, generated from the one settings table (``jwks_auth.conf.table``).

``{jwks-auth-settings} issuer`` and ``{jwks-auth-settings} global`` write one
entry per setting of that scope (a grouped dict setting such as ``KEY_STORE``
lists its keys under it); ``{jwks-auth-renamed}`` writes the table of old
spellings. Each entry is a ``setting`` object, so a page links to one with
``{setting}`SCOPE_CLAIMS``` and a link to a setting that no longer exists
fails the build (nitpicky mode).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _code(value: Any) -> str:
    text = repr(value)
    # A backtick cannot close a code span it opened.
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _entry(setting: Any, prefix: str = "") -> list[str]:
    name = f"{prefix}{setting.name}"
    facts = [f"default {_code(setting.default)}", f"expects {setting.expects}"]
    if getattr(setting, "check_id", None):
        facts.append(f"a bad value is `{setting.check_id}`")
    summary = " · ".join(facts)
    lines = [f"```{{setting}} {name}", "```", "", setting.doc, "", summary[0].upper() + summary[1:], ""]
    for key in getattr(setting, "keys", None) or ():
        lines += _entry(key, prefix=f"{name}.")
    return lines


def _render(directive: SphinxDirective, lines: list[str]) -> list[nodes.Node]:
    container = nodes.container()
    directive.state.nested_parse(StringList(lines, source=directive.env.docname), directive.content_offset, container)
    return list(container.children)


class SettingsDirective(SphinxDirective):
    """Every setting of one scope (``issuer`` or ``global``), in the table's order."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from jwks_auth.conf.table import SETTINGS

        scope = self.arguments[0]
        chosen = [setting for setting in SETTINGS if setting.scope == scope]
        if not chosen:
            raise self.error(f"no setting has the scope {scope!r}")
        lines: list[str] = []
        for setting in chosen:
            lines += _entry(setting)
        return _render(self, lines)


class RenamedDirective(SphinxDirective):
    """Old spellings that are still read, and the name to write instead."""

    def run(self) -> list[nodes.Node]:
        from jwks_auth.conf.table import RENAMED

        lines = ["| old spelling | write instead |", "| --- | --- |"]
        lines += [f"| `{old}` | {{setting}}`{new}` |" for old, new in sorted(RENAMED.items())]
        return _render(self, lines)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_object_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_directive("jwks-auth-settings", SettingsDirective)
    app.add_directive("jwks-auth-renamed", RenamedDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
