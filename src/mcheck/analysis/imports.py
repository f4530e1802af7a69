"""Import sites and inline ignore comments of one shipped source file.

Everything here is static (``ast`` and ``tokenize``): shipped code is never executed by this stage.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

from mcheck.analysis.model import ImportSite

# Exception names whose handler means "this import may legitimately be missing".
_IMPORT_ERROR_NAMES = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)
# Dotted names that make an `if` platform- or version-specific: both branches run only somewhere.
_CONDITION_NAMES = frozenset({"sys.platform", "os.name", "platform.system", "sys.version_info"})
# Bare names that hold the interpreter version: `from sys import version_info as py_version_info`, six's
# `PY2`/`PY3` flags.
_VERSION_NAME = re.compile(r"^(\w*version_info|_*(PY|PYTHON|IS_PY|IS_PYTHON)_?[23]\w*)$")
_SUPPRESS_NAMES = frozenset({"suppress", "contextlib.suppress"})

_IGNORE_RE = re.compile(r"#\s*mcheck:\s*ignore\b(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class _Scope:
    """Where a statement sits: does it run at import time, and is its failure expected?"""

    module_level: bool = True
    guarded: bool = False
    conditional: bool = False  # under an if, try or match: it may never run, whatever the test is
    fallback: bool = False  # in the ImportError handler of a try that imports (see ImportSite)

    def in_function(self) -> _Scope:
        return dataclasses.replace(self, module_level=False)

    def in_guard(self) -> _Scope:
        return dataclasses.replace(self, guarded=True)


def extract_imports(importer: str, path: str, source: str, *, is_package: bool) -> list[ImportSite]:
    """Every import statement of ``source`` (raises ``SyntaxError``/``ValueError`` if it does not parse).

    ``importer`` is the dotted module name of the file, ``path`` its installed path; ``is_package`` is
    True for an ``__init__.py`` (relative imports then resolve against the package itself).
    """
    return imports_from_tree(
        importer, path, ast.parse(source, filename=path), is_package=is_package
    )


def imports_from_tree(
    importer: str, path: str, tree: ast.Module, *, is_package: bool
) -> list[ImportSite]:
    """Like :func:`extract_imports` for an already parsed module (the pipeline parses each file once)."""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    return list(_visit_body(tree.body, _Scope(), importer, path, package))


def _visit_body(
    body: list[ast.stmt], scope: _Scope, importer: str, path: str, package: list[str]
) -> Iterator[ImportSite]:
    for node in body:
        yield from _visit_statement(node, scope, importer, path, package)
        if _exits_unless(node):
            # `if sys.version_info < (3, 9): raise ...` (pydantic's `assert False, 'Unreachable'`):
            # what follows runs only where the test is false: conditional, as an `else:` branch is, but
            # not guarded (a failure there is not expected: PolarDNS `sys.exit`s, then imports nfz).
            scope = dataclasses.replace(scope, conditional=True)


def _exits_unless(node: ast.stmt) -> bool:
    """An ``if`` on the platform or version, without ``else``, whose body always leaves the block."""
    if not isinstance(node, ast.If) or node.orelse or not _mentions_condition(node.test):
        return False
    last = node.body[-1]
    if isinstance(last, ast.Raise | ast.Return | ast.Continue | ast.Break):
        return True
    if isinstance(last, ast.Assert):
        return isinstance(last.test, ast.Constant) and not last.test.value
    return (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and ast.unparse(last.value.func) in ("sys.exit", "exit", "os._exit")
    )


def _visit_statement(
    node: ast.stmt, scope: _Scope, importer: str, path: str, package: list[str]
) -> Iterator[ImportSite]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield from _sites(node, scope, importer, path, package)
        return
    conditional = isinstance(node, ast.If | ast.Try | ast.TryStar | ast.Match)
    for child_body, child_scope in _child_bodies(node, scope):
        if conditional:
            child_scope = dataclasses.replace(child_scope, conditional=True)
        yield from _visit_body(child_body, child_scope, importer, path, package)


def _child_bodies(node: ast.stmt, scope: _Scope) -> Iterator[tuple[list[ast.stmt], _Scope]]:
    """The statement lists nested in ``node``, each with the scope its statements run in."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield node.body, scope.in_function()
    elif isinstance(node, ast.Try | ast.TryStar):
        yield from _try_bodies(node, scope)
    elif isinstance(node, ast.If):
        yield from _if_bodies(node, scope)
    elif isinstance(node, ast.With | ast.AsyncWith):
        suppresses = any(_suppresses_import_error(item.context_expr) for item in node.items)
        yield node.body, scope.in_guard() if suppresses else scope
    elif isinstance(node, ast.Match):
        for case in node.cases:
            yield case.body, scope
    else:
        # Class bodies, loops: their statements run with the enclosing scope.
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                yield value, scope


def _try_bodies(
    node: ast.Try | ast.TryStar, scope: _Scope
) -> Iterator[tuple[list[ast.stmt], _Scope]]:
    guarded = any(_catches_import_error(h) for h in node.handlers)
    yield node.body, scope.in_guard() if guarded else scope
    # A handler runs when the guarded import failed: the fallback is needed, so not guarded. Unless
    # the guarded import is the standard library's: then the fallback is a backport that runs only
    # on Pythons without it (`except ImportError: from typing_extensions import Literal`).
    backport = guarded and _imports_only_stdlib(node.body)
    for handler in node.handlers:
        if backport:
            yield handler.body, scope.in_guard()
        elif guarded and _catches_import_error(handler) and _imports(node.body):
            yield handler.body, dataclasses.replace(scope, fallback=True)
        else:
            yield handler.body, scope
    # `else:` runs only when the guarded (optional) import succeeded: what it imports is as optional
    # (`try: from urllib3.contrib import pyopenssl ... else: import OpenSSL`).
    yield node.orelse, scope.in_guard() if guarded else scope
    yield node.finalbody, scope


def _imports_only_stdlib(body: list[ast.stmt]) -> bool:
    """``body`` imports something, and only from the standard library."""
    imports = [n for n in body if isinstance(n, ast.Import | ast.ImportFrom)]
    if not imports or len(imports) != len([n for n in body if not isinstance(n, ast.Pass)]):
        return False
    tops = [a.name.split(".")[0] for n in imports if isinstance(n, ast.Import) for a in n.names]
    tops += [
        n.module.split(".")[0]
        for n in imports
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    ]
    relative = any(isinstance(n, ast.ImportFrom) and n.level for n in imports)
    return not relative and all(top in sys.stdlib_module_names for top in tops)


def _if_bodies(node: ast.If, scope: _Scope) -> Iterator[tuple[list[ast.stmt], _Scope]]:
    test = node.test
    if _is_type_checking(test):
        # The else branch of `if TYPE_CHECKING:` is exactly what runs at run time.
        yield node.body, scope.in_guard()
        yield node.orelse, scope
    elif (
        isinstance(test, ast.UnaryOp)
        and isinstance(test.op, ast.Not)
        and _is_type_checking(test.operand)
    ):
        yield node.body, scope
        yield node.orelse, scope.in_guard()
    elif _mentions_condition(test):
        # Both branches are platform/version specific (`else: import tomli` only runs on old Pythons,
        # where a marker-restricted dependency provides it), so neither is reported as unconditional.
        yield node.body, scope.in_guard()
        yield node.orelse, scope.in_guard()
    else:
        yield node.body, scope
        yield node.orelse, scope


def _sites(
    node: ast.Import | ast.ImportFrom, scope: _Scope, importer: str, path: str, package: list[str]
) -> Iterator[ImportSite]:
    common = {
        "importer": importer,
        "path": path,
        "line": node.lineno,
        "module_level": scope.module_level,
        "guarded": scope.guarded,
        "conditional": scope.conditional,
        "fallback": scope.fallback,
    }
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportSite(target=alias.name, **common)
        return
    target = _resolve_from(node, package)
    if target is not None:
        names = tuple(alias.name for alias in node.names)
        yield ImportSite(target=target, names=names, level=node.level, **common)


def _resolve_from(node: ast.ImportFrom, package: list[str]) -> str | None:
    """Absolute dotted target of a ``from`` import; None when a relative import climbs above the top."""
    if node.level == 0:
        return node.module
    climb = node.level - 1
    if climb >= len(package):  # "attempted relative import beyond top-level package" at run time
        return None
    base = package[: len(package) - climb]
    return ".".join([*base, node.module]) if node.module else ".".join(base)


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, ``a.b`` for a call ``a.b()``; None otherwise."""
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _is_type_checking(test: ast.expr) -> bool:
    name = _dotted(test) if not isinstance(test, ast.Call) else None
    return name is not None and name.rsplit(".", 1)[-1] == "TYPE_CHECKING"


def _mentions_condition(test: ast.expr) -> bool:
    return any(
        _dotted(n) in _CONDITION_NAMES for n in ast.walk(test) if isinstance(n, ast.Attribute)
    ) or any(_VERSION_NAME.match(n.id) for n in ast.walk(test) if isinstance(n, ast.Name))


def _imports(body: list[ast.stmt]) -> bool:
    return any(isinstance(statement, ast.Import | ast.ImportFrom) for statement in body)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:  # bare `except:`
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_exception_name(t) in _IMPORT_ERROR_NAMES for t in types)


def _suppresses_import_error(expr: ast.expr) -> bool:
    """``with contextlib.suppress(ImportError):`` guards its body like ``try/except ImportError``."""
    if not isinstance(expr, ast.Call) or _dotted(expr.func) not in _SUPPRESS_NAMES:
        return False
    return any(_exception_name(arg) in _IMPORT_ERROR_NAMES for arg in expr.args)


def _exception_name(node: ast.expr) -> str | None:
    name = _dotted(node)
    return name.rsplit(".", 1)[-1] if name is not None else None


def inline_ignores(path: str, source: str) -> dict[tuple[str, int], frozenset[str]]:
    """``(path, line) -> codes`` for every ``# mcheck: ignore[...]`` comment; an empty set means all codes.

    Only real comments count (``tokenize``), so the text inside a string literal silences nothing.
    """
    if "mcheck" not in source:  # tokenize is slow; almost no file has an ignore comment
        return {}
    found: dict[tuple[str, int], frozenset[str]] = {}
    for line, comment in _comments(source):
        match = _IGNORE_RE.search(comment)
        if match is not None:
            found[(path, line)] = _parse_codes(match.group(1))
    return found


def _comments(source: str) -> Iterator[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    try:
        for token in tokens:
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError):
        return  # broken source: keep the comments seen so far; the syntax error is reported elsewhere


def _parse_codes(raw: str | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    return frozenset(code.strip().upper() for code in raw.split(",") if code.strip())
