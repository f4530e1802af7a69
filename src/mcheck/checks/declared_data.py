"""MC102 for files the configuration explicitly includes that reach the sdist but not the wheel.

poetry-core 2 changed the default of ``include`` without ``format`` from both artifacts to the sdist
only: a top-level ``base_config.json`` read at run time then ships in the sdist and not in the wheel
(deduce, tests/realbugs). Files outside every package are not compared by the package diff (MC101/
MC102), so the declared includes are checked on their own here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from mcheck.checks import CheckContext, check
from mcheck.findings import Finding, Fix
from mcheck.fix.edits import toml_array_replace
from mcheck.wheel.artifacts import SdistContents
from mcheck.wheel.discover import Project
from mcheck.wheel.selection import DeclaredInclude, poetry_includes


@check("MC102")
def included_but_not_in_wheel(
    ctx: CheckContext, project: Project, sdist: SdistContents
) -> Iterator[Finding]:
    installed = ctx.wheel.installed_files
    for include in poetry_includes(project):
        if include.format_given and "wheel" not in include.formats:
            continue  # `format = ["sdist"]` said so on purpose (tomlkit's CHANGELOG.md)
        for rel in sorted(f for f in project.files if fnmatch.fnmatchcase(f, include.pattern)):
            if rel in sdist.files and rel not in installed:
                yield _finding(rel, include)


def _finding(rel: str, include: DeclaredInclude) -> Finding:
    if include.format_given or "wheel" in include.formats:
        reason = f"[tool.poetry] include {include.pattern!r} with format {list(include.formats)!r} (the wheel "
        reason += "was asked for)"
    else:
        reason = (
            f"[tool.poetry] include {include.pattern!r} has no `format`, and poetry-core 2 then "
            "includes it in the sdist only"
        )
    return Finding(
        "MC102",
        rel,
        f"{rel} is in the sdist but not in the wheel: {reason} (pyproject.toml"
        f"{f':{include.line}' if include.line else ''})",
        hint=f'ship it in both: {{ path = "{include.pattern}", format = ["sdist", "wheel"] }}, '
        "or move it into the package and read it with importlib.resources",
        fix=None if include.format_given else _both_formats(include),
    )


def _both_formats(include: DeclaredInclude) -> Fix:
    """The include entry as a table that names both artifacts: what it meant before poetry-core 2."""
    both = {"path": include.pattern, "format": ["sdist", "wheel"]}
    edit = toml_array_replace(
        "pyproject.toml", ("tool", "poetry", "include"), include.pattern, both
    )
    return Fix(f'ship "{include.pattern}" in the wheel too: format = ["sdist", "wheel"]', (edit,))
