"""Which environment variables a project's own build code reads, for the build cache's key.

A ``setup.py`` that reads ``RELEASE_VERSION`` builds a different wheel when it changes, and a cache
keyed without it would answer with the old wheel (a false MC201, or worse a wrong release). The
backends' own variables are keyed by name (:data:`mcheck.cache.builds.KEYED_PREFIXES`); the project's
build code is read here: every ``os.environ[...]``, ``os.environ.get(...)``, ``os.getenv(...)`` with
a literal name adds that name to the key. Build code that reads the environment in a way no reading
can pin down (a computed name, ``os.environ`` passed or copied whole) makes the build uncacheable:
:func:`environment_reads` returns None and the backend runs every time.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mcheck.smallfiles import SOURCE_FILE_LIMIT, read_small_text

# Build code that lives next to pyproject.toml by the backends' conventions.
BUILD_SCRIPT_NAMES = ("setup.py", "hatch_build.py", "pdm_build.py", "build.py", "_build.py")
# ``os.environ.<method>(NAME, ...)`` calls that read (or set) one named variable.
_READ_METHODS = frozenset({"get", "setdefault", "pop"})


def environment_reads(root: Path, backend_path: list[str] | None) -> frozenset[str] | None:
    """The variable names the project's build code reads; None when that cannot be known."""
    names: set[str] = set()
    for script in _build_scripts(root, backend_path):
        try:
            tree = ast.parse(read_small_text(script, limit=SOURCE_FILE_LIMIT))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            return None  # the backend reads it anyway; whatever it does is unknown here
        found = _reads_in(tree)
        if found is None:
            return None
        names |= found
    return frozenset(names)


def _build_scripts(root: Path, backend_path: list[str] | None) -> list[Path]:
    scripts = [root / name for name in BUILD_SCRIPT_NAMES if (root / name).is_file()]
    scripts += _local_imports(root, scripts)
    for directory in backend_path or []:
        in_tree = root / directory
        if in_tree.is_dir():
            scripts += sorted(in_tree.rglob("*.py"))
    return list(dict.fromkeys(scripts))


def _local_imports(root: Path, scripts: list[Path]) -> list[Path]:
    """Modules next to the build scripts that they import (``from _version_helper import ...``)."""
    found = []
    for script in scripts:
        try:
            tree = ast.parse(read_small_text(script, limit=SOURCE_FILE_LIMIT))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            for module in modules:
                candidate = root / f"{module.split('.')[0]}.py"
                if candidate.is_file():
                    found.append(candidate)
    return found


def _reads_in(tree: ast.AST) -> set[str] | None:
    """Literal names read from the environment; None at the first read that is not literal."""
    names: set[str] = set()
    accounted: set[int] = set()  # ``os.environ`` nodes that are part of a literal read
    for node in ast.walk(tree):
        name_node = _read_name_node(node)
        if name_node is None:
            continue
        if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
            return None
        names.add(name_node.value)
        accounted.add(id(_environ_of(node)))
    for node in ast.walk(tree):
        if _is_environ(node) and id(node) not in accounted:
            return None  # os.environ copied, passed on or iterated: any variable may matter
    return names


def _read_name_node(node: ast.AST) -> ast.expr | None:
    """The name argument of ``environ[NAME]``, ``environ.get(NAME)``, ``getenv(NAME)``."""
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and _is_environ(node.comparators[0]):
        return node.left if isinstance(node.ops[0], ast.In | ast.NotIn) else None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _READ_METHODS
            and _is_environ(func.value)
        ):
            return node.args[0]
        if _is_getenv(func):
            return node.args[0]
    return None


def _environ_of(node: ast.AST) -> ast.AST | None:
    if isinstance(node, ast.Subscript):
        return node.value
    if isinstance(node, ast.Compare):
        return node.comparators[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.value
    return None


def _is_environ(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_getenv(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "getenv"
    return isinstance(node, ast.Name) and node.id == "getenv"
