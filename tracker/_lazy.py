"""Packages whose exports are imported when first used (PEP 562), not with the package.

``tracker.service``, ``tracker.scoring`` and ``tracker.resolution`` re-export the names of their
private modules.  Imported eagerly, ``from tracker import service`` loaded scipy, matplotlib,
trafilatura and the Manifold client before any CLI command could run (1.5 s on two cores; see
docs/dev.md, "CLI start-up").  Such a package keeps its imports as they were, under
``if typing.TYPE_CHECKING:`` (the type checker and the reader still see one list of what comes from
where), and sets ``__getattr__ = _lazy.exports(__name__, __file__)``: that list, read once from
the package's source, says which module to import for a name.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any


def exports(package: str, init_file: str) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``, whose ``__init__.py`` is ``init_file``."""

    @cache
    def origins() -> dict[str, str]:
        return _guarded_imports(Path(init_file))

    def module_getattr(name: str) -> Any:
        module = origins().get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    return module_getattr


def _guarded_imports(init_file: Path) -> dict[str, str]:
    """Each name imported under the ``if typing.TYPE_CHECKING:`` of a package -> its module."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            return {
                alias.asname or alias.name: statement.module
                for statement in node.body
                if isinstance(statement, ast.ImportFrom) and statement.module
                for alias in statement.names
            }
    raise ImportError(f"{init_file}: no `if TYPE_CHECKING:` block of imports to load lazily")
