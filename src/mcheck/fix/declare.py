"""Declaring a dependency where the project declares its dependencies, per backend.

The fix proven is the bare name (the proof run installs what the resolver picks for it); the fix
written gives the version that run installed as the lower bound, so the declaration says what was
proven and nothing older than what was tested is ever resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from packaging.utils import canonicalize_name

from mcheck.findings import Edit, Fix
from mcheck.fix import setup_cfg, setup_py
from mcheck.fix.edits import toml_array_append, toml_table_set
from mcheck.wheel.discover import Project

# (where, edit of a requirement): the requirement is "name" or "name>=version"
_Declarer = tuple[str, Callable[[str], Edit]]


def declare_dependency(project: Project, distribution: str) -> Fix | None:
    """The fix that adds ``distribution`` to the project's runtime dependencies, or None where
    they are computed (``dynamic``, a setup.py that builds the list) and mcheck does not edit."""
    declarer = _declarer(project, distribution)
    if declarer is None:
        return None
    where, edit = declarer

    def with_lower_bound(installed: Mapping[str, str]) -> Fix:
        version = installed.get(canonicalize_name(distribution))
        if version is None:
            return bare
        requirement = f"{distribution}>={version}"
        return Fix(f'add "{requirement}" to {where}', (edit(requirement),))

    bare = Fix(f'add "{distribution}" to {where}', (edit(distribution),), refine=with_lower_bound)
    return bare


def _declarer(project: Project, distribution: str) -> _Declarer | None:
    table = project.pyproject.get("project")
    if isinstance(table, dict) and "dependencies" not in table.get("dynamic", ()):
        return "[project] dependencies", lambda requirement: toml_array_append(
            "pyproject.toml", ("project", "dependencies"), [requirement]
        )
    tool = project.pyproject.get("tool", {})
    if project.backend_family == "poetry-core" and isinstance(tool.get("poetry"), dict):
        # poetry's own table: `name = "constraint"`, "*" for any version
        return "[tool.poetry.dependencies]", lambda requirement: toml_table_set(
            "pyproject.toml",
            ("tool", "poetry", "dependencies", distribution),
            requirement.removeprefix(distribution) or "*",
        )
    flit = tool.get("flit", {}).get("metadata") if isinstance(tool.get("flit"), dict) else None
    if project.backend_family == "flit-core" and isinstance(flit, dict):
        return "[tool.flit.metadata] requires", lambda requirement: toml_array_append(
            "pyproject.toml", ("tool", "flit", "metadata", "requires"), [requirement]
        )
    text = setup_py.read_setup_py(project.root) if project.has_setup_py else ""
    if setup_py.can_append_to_list(text, "install_requires"):
        return (
            "setup(install_requires=[...]) in setup.py",
            lambda requirement: setup_py.append_to_list("install_requires", requirement),
        )
    cfg = setup_cfg.read_setup_cfg(project.root)
    in_setup_py = setup_py.setup_keyword(text, "install_requires") not in (None, False)
    if (
        cfg is not None
        and not in_setup_py
        and setup_cfg.list_option(cfg, "install_requires") is not None
    ):
        return (
            "[options] install_requires in setup.cfg",
            lambda requirement: setup_cfg.append_item("install_requires", requirement),
        )
    return None
