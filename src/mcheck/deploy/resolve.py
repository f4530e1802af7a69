"""Python's module lookup (``importlib.machinery.PathFinder``) over a plain set of file paths.

Used twice: on the reconstructed container filesystem (does this import work at run time?) and on the
repository (which file did the author mean?). Regular packages and modules on an earlier ``sys.path``
entry win; a directory without ``__init__.py`` is a namespace portion only when nothing regular is found.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

SOURCE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")


@dataclass(frozen=True)
class Resolved:
    """Where a dotted module was found: ``file`` is the module or ``__init__.py`` (None for a namespace)."""

    name: str
    file: str | None
    directories: tuple[str, ...] = ()  # the package's search path (a namespace may span several)
    chain: tuple[str, ...] = ()  # the __init__.py files executed on the way, outermost first


class FileTree:
    """A set of posix file paths with the directories they imply."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = frozenset(files)
        dirs: set[str] = set()
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        self.dirs = frozenset(dirs)

    def has_python_below(self, directory: str) -> bool:
        prefix = directory.rstrip("/") + "/"
        return any(f.startswith(prefix) and f.endswith(".py") for f in self.files)

    def resolve(self, name: str, search_path: Iterable[str]) -> Resolved | None:
        """Find dotted ``name`` on ``search_path`` (directory paths in the tree's own convention)."""
        paths = [p.rstrip("/") if p not in ("", "/") else p for p in search_path]
        chain: list[str] = []
        found: Resolved | None = None
        for depth, part in enumerate(name.split(".")):
            if found is not None and not found.directories:
                return None  # a plain module has no submodules
            found = self._find(".".join(name.split(".")[: depth + 1]), part, paths)
            if found is None:
                return None
            if found.directories and found.file:
                chain.append(found.file)
            paths = list(found.directories)
        assert found is not None
        return Resolved(found.name, found.file, found.directories, tuple(chain))

    def _find(self, name: str, part: str, paths: list[str]) -> Resolved | None:
        namespace: list[str] = []
        for entry in paths:
            base = posixpath.join(entry, part) if entry else part
            init = posixpath.join(base, "__init__.py")
            if init in self.files:
                return Resolved(name, init, (base,))
            module = next((base + s for s in SOURCE_SUFFIXES if base + s in self.files), None)
            if module is not None:
                return Resolved(name, module)
            if base in self.dirs:
                namespace.append(base)
        return Resolved(name, None, tuple(namespace)) if namespace else None


def module_name_for(file: str, root: str) -> str | None:
    """The dotted name ``file`` has when ``root`` is on ``sys.path`` (None when it is not below it
    or a path component is not an identifier)."""
    prefix = root.rstrip("/") + "/" if root not in ("", "/") else root
    if not file.startswith(prefix):
        return None
    rel = file[len(prefix) :]
    stem, ext = posixpath.splitext(rel)
    if ext not in SOURCE_SUFFIXES:
        return None
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)
