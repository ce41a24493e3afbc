"""The settings reference, generated from the one settings table (``jwks_auth.conf.table``).

``{jwks-auth-settings} issuer`` and ``{jwks-auth-settings} global`` write one
entry per setting of that scope (a grouped dict setting such as ``KEY_STORE``
lists its keys under it, as ``KEY_STORE.LOCAL_TTL``); ``{jwks-auth-legacy}``
writes the table of the spellings from before 1.0 (``LEGACY``).

Each entry is a ``setting`` object, so a page links to one with
``{setting}`SCOPE_CLAIMS``` (``{setting}`KEY_STORE.LOCAL_TTL```) and a link
to a setting that no longer exists fails the build (nitpicky mode).
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


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _entry(setting: Any, prefix: str = "") -> list[str]:
    name = f"{prefix}{setting.name}"
    if setting.keys and setting.default is None:  # INTROSPECTION: off unless set, then the keys' defaults
        default = f'`None` (a dict turns it on; its keys default as below: `{{"{setting.keys[0].name}": ...}}`)'
    elif setting.keys:
        default = f'each key\'s own (set only the keys to change: `{{"{setting.keys[0].name}": ...}}`)'
    else:
        default = _code(setting.default)
    facts = [f"Default: {default}", f"expects {setting.expects}", f"a bad value is `{setting.check_id}`"]
    if setting.secret:
        facts.append("never repeated in a message (it may hold a secret)")
    lines = [f"```{{setting}} {name}", "```", "", _sentence(setting.doc), "", " · ".join(facts), ""]
    for key in setting.keys:
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


class LegacyDirective(SphinxDirective):
    """Spellings from before 1.0 that still work until 1.1 (``jwks_auth.W010``), and what to write instead."""

    def run(self) -> list[nodes.Node]:
        from jwks_auth.conf.table import LEGACY

        lines = ["| before 1.0 | write instead |", "| --- | --- |"]
        for legacy in LEGACY:
            instead = f"{{setting}}`{'.'.join(legacy.group)}`" if legacy.group else legacy.instead
            lines.append(f"| `{legacy.name}` | {instead} |")
        return _render(self, lines)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_object_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_directive("jwks-auth-settings", SettingsDirective)
    app.add_directive("jwks-auth-legacy", LegacyDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
