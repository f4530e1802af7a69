"""Generate benchmark project (c): one package of exactly N modules in nested sub-packages.

Layout: ``genpkg/`` with 10 sub-packages, each with 10 sub-sub-packages, holding the leaf modules;
every ``__init__.py`` counts as a module. Each leaf is a small but real module: stdlib imports, a
relative import of its package, a function, a class with methods, a dataclass.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "genpkg"
version = "1.0.0"
description = "mcheck benchmark: a package of {count} generated modules"
requires-python = ">=3.9"
"""

LEAF = '''\
"""Generated module {name}."""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import PACKAGE_ID

CONSTANT = {index}


def compute(value: int) -> int:
    """Combine the value with this module's constant."""
    return value * CONSTANT + len(os.sep) + PACKAGE_ID


@dataclass
class Record:
    key: str
    value: int = CONSTANT

    def doubled(self) -> int:
        return self.value * 2


class Handler:
    def __init__(self, prefix: str = "{name}") -> None:
        self.prefix = prefix

    def handle(self, item: str) -> str:
        return f"{{self.prefix}}:{{item}}"
'''


def generate(root: Path, count: int = 2000, fanout: int = 10) -> list[str]:
    """Write the project under ``root``; returns its module names (exactly ``count``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(count=count), "utf-8")
    package = root / "genpkg"
    modules = ["genpkg"]
    _write_init(package, 0)
    leaf_dirs = []
    for i in range(fanout):
        _write_init(package / f"sub{i}", i + 1)
        modules.append(f"genpkg.sub{i}")
        for j in range(fanout):
            _write_init(package / f"sub{i}" / f"part{j}", j + 1)
            modules.append(f"genpkg.sub{i}.part{j}")
            leaf_dirs.append((f"genpkg.sub{i}.part{j}", package / f"sub{i}" / f"part{j}"))
    for index in range(count - len(modules)):
        dotted, directory = leaf_dirs[index % len(leaf_dirs)]
        name = f"{dotted}.mod{index}"
        (directory / f"mod{index}.py").write_text(LEAF.format(name=name, index=index), "utf-8")
        modules.append(name)
    return modules


def _write_init(directory: Path, package_id: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "__init__.py").write_text(
        textwrap.dedent(f'''\
        """Generated package."""

        PACKAGE_ID = {package_id}
        '''),
        "utf-8",
    )


if __name__ == "__main__":
    print(len(generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2000)))
