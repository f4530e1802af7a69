"""Stage 5, analyse: static analysis of the Python code the wheel ships.

Each shipped ``.py`` file is parsed once; the tree feeds both the import extraction and pyflakes.
Runs in one thread, next to the venv creation and the import probe (which keep the other cores busy):
worker processes were measured not to pay off there, and "spawn" workers would re-run an unguarded
``__main__`` of whoever embeds mcheck.
"""

from __future__ import annotations

import ast
import gc

from mcheck.analysis.imports import imports_from_tree, inline_ignores
from mcheck.analysis.model import ImportSite, StaticAnalysis, UndefinedName
from mcheck.analysis.names import noqa_undefined_lines, undefined_names_in_tree
from mcheck.wheel.artifacts import WheelContents, module_name_for

__all__ = ["ImportSite", "StaticAnalysis", "UndefinedName", "analyse_sources", "analyse_wheel"]


def analyse_wheel(wheel: WheelContents) -> StaticAnalysis:
    """Imports, undefined names, inline ignores and syntax errors of every importable ``.py`` in the wheel."""
    return analyse_sources(wheel.read_sources())


def analyse_sources(sources: dict[str, str]) -> StaticAnalysis:
    """:func:`analyse_wheel` on ``installed path -> source``, in path order.

    Files that cannot be imported are skipped: a ``.py`` under a non-identifier directory is data, often
    a template that is not even Python.
    """
    result = StaticAnalysis()
    # A syntax tree is a great many objects that all live until the file is done, so the automatic
    # collector keeps rescanning them for nothing (measured: 20-45% of the run time). Collect once per
    # file instead, because pyflakes leaves reference cycles (parent pointers) that must not pile up.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for path in sorted(sources):
            module = module_name_for(path)
            if module is not None:
                _analyse_file(result, path, module, sources[path])
                gc.collect(0)
    finally:
        if was_enabled:
            gc.enable()
    return result


def _analyse_file(result: StaticAnalysis, path: str, module: str, source: str) -> None:
    result.inline_ignores.update(inline_ignores(path, source))
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes in the source on 3.11
        result.syntax_errors[path] = _describe_syntax_error(exc)
        return
    is_package = path == "__init__.py" or path.endswith("/__init__.py")
    result.imports.extend(imports_from_tree(module, path, tree, is_package=is_package))
    noqa = noqa_undefined_lines(source)  # pyflakes' own suppression comment counts here too
    result.undefined_names.extend(
        u for u in undefined_names_in_tree(path, tree) if u.line not in noqa
    )


def _describe_syntax_error(exc: SyntaxError | ValueError) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return f"line {exc.lineno}: {exc.msg}"
    return str(exc)
