"""Generate benchmark projects (c) and (d).

(c): one package of exactly N modules in nested sub-packages. Layout: ``genpkg/`` with 10
sub-packages, each with 10 sub-sub-packages, holding the leaf modules; every ``__init__.py`` counts
as a module. Each leaf is a small but real module: stdlib imports, a relative import of its package,
a function, a class with methods, a dataclass.

(d): a uv workspace of N small members (``packages/memberNN``, flit-core, each depending on
``packaging`` from the registry), as a monorepo of libraries is laid out.
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


WORKSPACE_ROOT = """\
[tool.uv.workspace]
members = ["packages/*"]
"""

MEMBER_PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "{name}"
version = "1.0.0"
description = "mcheck benchmark: workspace member {index}"
requires-python = ">=3.9"
dependencies = ["packaging>=23"]
"""

MEMBER_INIT = '''\
"""Workspace member {index}."""

from packaging.version import Version

from .core import compute

__all__ = ["Version", "compute"]
'''


def generate_workspace(root: Path, members: int = 20) -> list[Path]:
    """Write the workspace under ``root``; returns the member directories."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(WORKSPACE_ROOT, "utf-8")
    directories = []
    for index in range(members):
        name = f"member{index:02d}"
        member = root / "packages" / name
        package = member / name
        package.mkdir(parents=True)
        (member / "pyproject.toml").write_text(
            MEMBER_PYPROJECT.format(name=name, index=index), "utf-8"
        )
        (package / "__init__.py").write_text(MEMBER_INIT.format(index=index), "utf-8")
        (package / "core.py").write_text(
            LEAF.format(name=name, index=index).replace(
                "from . import PACKAGE_ID", "PACKAGE_ID = 0"
            ),
            "utf-8",
        )
        directories.append(member)
    return directories


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
