"""The examples of the docs pages (docs/*.md), loaded as modules so that tests run what the pages show.

An example is a fenced ``python`` block whose first line is
``# example: <name>``; ``load_example("step-up", "views")`` executes it as the
module ``tests.docs_examples.step_up.views`` (registered in ``sys.modules``,
so a test can point ``ROOT_URLCONF`` at it when it defines ``urlpatterns``).
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
_BLOCK = re.compile(r"```python\n# example: ([\w-]+)\n(.*?)```", re.S)


def examples(page: str) -> dict[str, str]:
    """The named examples of ``docs/<page>.md``."""
    return {name: body for name, body in _BLOCK.findall((DOCS / f"{page}.md").read_text())}


def load_example(page: str, name: str) -> types.ModuleType:
    """The example ``name`` of ``docs/<page>.md``, executed as a fresh module."""
    source = examples(page)[name]
    module_name = f"tests.docs_examples.{page.replace('-', '_')}.{name}"
    module = types.ModuleType(module_name)
    module.__file__ = str(DOCS / f"{page}.md")
    sys.modules[module_name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - our own docs
    return module
