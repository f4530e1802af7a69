"""Typed results of static analysis of the wheel's shipped Python code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImportSite:
    """One imported module, as written in a shipped file.

    ``target`` is the absolute dotted name (relative imports resolved against the importing module):
    ``from ..models import X`` in ``pkg.app.main`` -> ``pkg.models``; for ``from a import b`` it is ``a``
    and ``names`` holds ``("b",)`` (``b`` may itself be a submodule).
    """

    importer: str  # dotted module doing the import, "pkg.app.main"
    path: str  # its installed path, "pkg/app/main.py"
    line: int
    target: str
    names: tuple[str, ...] = ()
    level: int = 0  # 0 for absolute imports
    module_level: bool = True  # runs at import time (module or class body, not inside a function)
    guarded: bool = (
        False  # inside try/except ImportError-ish, `if TYPE_CHECKING:` or a platform check
    )
    conditional: bool = (
        False  # under any if, try or match (the floor check counts only sure imports)
    )
    # in the `except ImportError:` of a try that imports something else: the alternative for when
    # that import fails (Sphinx: `from docutils.utils.roman import ...`, else `from roman import ...`)
    fallback: bool = False

    @property
    def top_level(self) -> str:
        return self.target.split(".", 1)[0]


@dataclass(frozen=True)
class UndefinedName:
    path: str
    line: int
    name: str


@dataclass
class StaticAnalysis:
    imports: list[ImportSite] = field(default_factory=list)
    undefined_names: list[UndefinedName] = field(default_factory=list)
    # (installed path, line) -> codes silenced there by `# mcheck: ignore[MC202,MC204]` (empty set: all)
    inline_ignores: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    syntax_errors: dict[str, str] = field(default_factory=dict)  # path -> message

    def is_ignored(self, path: str, line: int | None, code: str) -> bool:
        if line is None:
            return False
        codes = self.inline_ignores.get((path, line))
        return codes is not None and (not codes or code in codes)
