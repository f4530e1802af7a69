"""Names used but never defined or imported in a shipped file (pyflakes), the future ``NameError``s."""

from __future__ import annotations

import ast

from pyflakes import messages
from pyflakes.checker import Binding, Builtin, Checker

from mcheck.analysis.model import UndefinedName

# Messages that mean "this name does not exist when the line runs": a use, or a name listed in __all__
# (``from pkg import *`` then raises AttributeError).
_UNDEFINED = (messages.UndefinedName, messages.UndefinedExport)


class _LeanChecker(Checker):
    """pyflakes without its ~160 builtin bindings per file: adding them cost ~1 ms per module, the
    bulk of the time for small modules. Builtins are then reported as undefined and filtered out."""

    def addBinding(self, node: object, value: Binding) -> None:
        if node is None and isinstance(value, Builtin):
            return
        super().addBinding(node, value)


def undefined_names(path: str, source: str) -> list[UndefinedName]:
    """Undefined names in ``source``, in line order.

    Raises ``SyntaxError`` (or ``ValueError`` for NUL bytes) when the source does not parse; the caller
    records that separately (:attr:`StaticAnalysis.syntax_errors`) instead of mixing it into names.
    """
    return undefined_names_in_tree(path, ast.parse(source, filename=path))


def undefined_names_in_tree(path: str, tree: ast.Module) -> list[UndefinedName]:
    """Like :func:`undefined_names` for an already parsed module (the pipeline parses each file once).

    ``path`` matters: pyflakes accepts ``__path__`` only in a file named ``__init__.py``.
    """
    try:
        checker = _LeanChecker(tree, filename=path)
    except RecursionError:  # absurdly nested generated code: no verdict rather than a crash
        return []
    found = checker.messages
    if any(isinstance(m, messages.ImportStarUsed) for m in found):
        # Any undefined-looking name may come from the star import: pyflakes cannot tell, neither can we.
        return []
    names = {UndefinedName(path, m.lineno, m.message_args[0]) for m in found
             if isinstance(m, _UNDEFINED) and m.message_args[0] not in checker.builtIns}
    return sorted(names, key=lambda u: (u.line, u.name))
