"""Names used but never defined or imported in a shipped file (pyflakes), the future ``NameError``s."""

from __future__ import annotations

import ast
import re

from pyflakes import messages
from pyflakes.checker import Binding, Builtin, Checker

from mcheck.analysis.model import UndefinedName

# Messages that mean "this name does not exist when the line runs": a use, or a name listed in __all__
# (``from pkg import *`` then raises AttributeError).
_UNDEFINED = (messages.UndefinedName, messages.UndefinedExport)
# Handlers under which a NameError in the try body is caught, not raised.
_NAME_ERROR_HANDLERS = frozenset({"NameError", "Exception", "BaseException"})
# Builtins of Python 2 only: legitimate in a file that branches on the major version (six, compat shims).
_PYTHON2_BUILTINS = frozenset(
    {
        "apply",
        "basestring",
        "buffer",
        "cmp",
        "coerce",
        "execfile",
        "file",
        "intern",
        "long",
        "raw_input",
        "reduce",
        "reload",
        "StandardError",
        "unichr",
        "unicode",
        "xrange",
    }
)
_VERSION_FLAG = re.compile(r"^_*(PY|PYTHON|IS_PY|IS_PYTHON)_?[23]")
# `__BIN_NAME__`: a placeholder of a file shipped as a template that a tool fills in before running it
# (virtualenv's activate_this.py); never meant to be defined in the shipped copy.
TEMPLATE_PLACEHOLDER = re.compile(r"^__[A-Z][A-Z0-9_]*__$")


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
    handled_lines, probed = _name_error_handling(tree)
    expected = probed | (_PYTHON2_BUILTINS if _branches_on_python_version(tree) else frozenset())
    expected |= _annotated_then_assigned(tree)
    names = {
        UndefinedName(path, m.lineno, m.message_args[0])
        for m in found
        if isinstance(m, _UNDEFINED)
        and m.message_args[0] not in checker.builtIns
        and m.lineno not in handled_lines
        and m.message_args[0] not in expected
        and not TEMPLATE_PLACEHOLDER.match(m.message_args[0])
    }
    return sorted(names, key=lambda u: (u.line, u.name))


def _annotated_then_assigned(tree: ast.Module) -> set[str]:
    """Names declared by a bare annotation (``strstart: tuple[int, int]``) and assigned in the file:
    pyflakes reports a use that comes before the assignment in the text (black's tokenizer assigns
    them later in a loop) as undefined, although the name is bound when the line runs."""
    bare = [
        node.target
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and node.value is None
        and isinstance(node.target, ast.Name)
    ]
    if not bare:
        return set()
    declarations = {id(target) for target in bare}  # the annotation itself binds nothing
    stored = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Store)
        and id(node) not in declarations
    }
    return {target.id for target in bare} & stored


_NOQA = re.compile(r"#\s*noqa\b(?::\s*([A-Z0-9, ]+))?", re.IGNORECASE)


def noqa_undefined_lines(source: str) -> set[int]:
    """Lines whose ``# noqa`` (bare, or naming F821/F822) says the author checked the undefined name."""
    if "noqa" not in source:
        return set()
    lines = set()
    for number, text in enumerate(source.splitlines(), start=1):
        match = _NOQA.search(text)
        if match is not None and (
            match.group(1) is None
            or {"F821", "F822"} & set(code.strip().upper() for code in match.group(1).split(","))
        ):
            lines.add(number)
    return lines


def _name_error_handling(tree: ast.Module) -> tuple[set[int], set[str]]:
    """Lines whose NameError a ``try`` catches, and names the file tests for with ``except NameError``
    (``try: get_ipython except NameError: return False``): the file knows they may not exist."""
    lines: set[int] = set()
    probed: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try | ast.TryStar):
            continue
        caught = {_handler_name(t) for h in node.handlers for t in _handler_types(h)}
        if not caught & (_NAME_ERROR_HANDLERS | {None}):
            continue
        for statement in node.body:
            lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
        if "NameError" in caught:
            probed.update(n.id for s in node.body for n in ast.walk(s) if isinstance(n, ast.Name))
    return lines, probed


def _handler_types(handler: ast.ExceptHandler) -> list[ast.expr | None]:
    if handler.type is None:  # a bare `except:` catches NameError too
        return [None]
    return list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]


def _handler_name(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    return (
        node.id
        if isinstance(node, ast.Name)
        else node.attr
        if isinstance(node, ast.Attribute)
        else ""
    )


def _branches_on_python_version(tree: ast.Module) -> bool:
    """Does the file test the Python major version (``PY2``/``PY3`` flags, ``sys.version_info``)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and _VERSION_FLAG.match(node.id):
            return True
        if isinstance(node, ast.Attribute) and (
            _VERSION_FLAG.match(node.attr) or node.attr == "version_info"
        ):
            return True
    return False
