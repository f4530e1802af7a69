"""Why a file of a shipped package did not reach the wheel, in terms of the project's own configuration.

Each function recognises one cause and returns a :class:`DropReason` (the fix in words, and the
mechanical fix ``--fix`` can apply where there is one), or None; :func:`explain_drop` asks them in
order, most specific first. The causes come from the incidents mcheck was born from: directories
without ``__init__.py`` under ``namespaces = false``, ``include`` patterns without ``*``, explicit
``packages`` lists, files that never made it into the sdist.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import NamedTuple

from mcheck.findings import Fix
from mcheck.fix import setup_cfg, setup_py
from mcheck.fix.edits import append_line, create_file, toml_array_append
from mcheck.wheel.discover import Project
from mcheck.wheel.layout import PackageSource
from mcheck.wheel.selection import setup_py_keyword


class DropReason(NamedTuple):
    hint: str
    fix: Fix | None = None


def explain_drop(
    project: Project, package: PackageSource, source_file: str, *, in_sdist: bool
) -> DropReason:
    # Package-selection causes first: setuptools applies them to the sdist as well, so a file they drop
    # is missing from both artifacts and "not in the sdist" would only be a symptom.
    reasons: list[Callable[[Project, PackageSource, str], DropReason | None]] = [
        _explicit_packages_list,
        _include_without_star,
        _missing_init,
    ]
    if not in_sdist:
        reasons.append(_not_in_sdist)
    reasons += [_undeclared_package_data, _hatch_default_selection]
    for reason in reasons:
        found = reason(project, package, source_file)
        if found:
            return found
    return DropReason(_generic(project, in_sdist))


def _dotted_package(package: PackageSource, source_file: str) -> str:
    return str(PurePosixPath(package.wheel_path(source_file)).parent).replace("/", ".")


def _missing_init(project: Project, package: PackageSource, source_file: str) -> DropReason | None:
    if not project.is_setuptools or _discovers_namespaces(project):
        return None
    files = project.file_set()
    parent = PurePosixPath(source_file).parent
    missing = []
    while parent.as_posix() != package.source_dir and parent.as_posix().startswith(
        package.source_dir
    ):
        if f"{parent.as_posix()}/__init__.py" not in files:
            missing.append(parent.as_posix())
        parent = parent.parent
    if not missing or not _holds_code_below(project, missing[-1]):
        return None  # a data directory needs no __init__.py: it is package data of its package
    outermost = missing[-1]
    hint = (
        f"{outermost}/ has no __init__.py, so setuptools' package discovery (find_packages / "
        f"`namespaces = false`) skips it and everything below it: add {outermost}/__init__.py"
        + (f" (and in {len(missing) - 1} more directories below it)" if len(missing) > 1 else "")
        + ", or set `namespaces = true` in [tool.setuptools.packages.find]"
    )
    inits = [f"{directory}/__init__.py" for directory in reversed(missing)]
    fix = Fix(f"add {', '.join(inits)}", tuple(create_file(init) for init in inits))
    return DropReason(hint, fix)


def _holds_code_below(project: Project, directory: str) -> bool:
    return any(f.startswith(f"{directory}/") and f.endswith(".py") for f in project.files)


def _discovers_namespaces(project: Project) -> bool:
    """``[tool.setuptools.packages.find]`` finds directories without ``__init__.py`` too, unless
    ``namespaces = false`` (in pyproject.toml the default is true, unlike ``find_packages()``)."""
    find = project.setuptools_config.get("packages", {})
    table = find.get("find") if isinstance(find, dict) else None
    return isinstance(table, dict) and table.get("namespaces", True) is not False


def _include_without_star(
    project: Project, package: PackageSource, source_file: str
) -> DropReason | None:
    if not project.is_setuptools:
        return None
    find = project.setuptools_config.get("packages", {})
    includes = find.get("find", {}).get("include") if isinstance(find, dict) else None
    if not includes:
        return None
    dotted = _dotted_package(package, source_file)
    if any(fnmatch.fnmatchcase(dotted, pattern) for pattern in includes):
        return None
    suggestion = (
        ", ".join(f'"{p}*"' for p in includes if not p.endswith("*")) or f'"{package.name}*"'
    )
    return DropReason(
        f"[tool.setuptools.packages.find] include = {includes!r} does not match the sub-package "
        f"`{dotted}` (patterns match whole dotted names): use include = [{suggestion}]"
    )


def _explicit_packages_list(
    project: Project, package: PackageSource, source_file: str
) -> DropReason | None:
    if not project.is_setuptools:
        return None
    listed = project.setuptools_config.get("packages")
    where = "[tool.setuptools] packages"
    if not isinstance(listed, list):
        listed, where = setup_py_keyword(project, "packages"), "setup(packages=[...]) in setup.py"
    if not isinstance(listed, list) and (cfg := setup_cfg.read_setup_cfg(project.root)):
        listed, where = setup_cfg.list_option(cfg, "packages") or None, SETUP_CFG_PACKAGES
    if not isinstance(listed, list):
        return None
    dotted = _dotted_package(package, source_file)
    if dotted in listed:
        return None
    discovery = (
        "`packages = find:`"
        if where == SETUP_CFG_PACKAGES
        else "find_packages() / [tool.setuptools.packages.find]"
    )
    hint = f"{where} lists {listed!r} but not `{dotted}`: add it, or use package discovery ({discovery})"
    if not source_file.endswith(".py") and not _holds_code(project, source_file):
        # A data directory needs no package of its own: package data of the listed package does.
        fix = _package_data_fix(project, package, source_file)
        how = fix.description if fix else f"declare the file as package data of `{package.name}`"
        data_hint = f"{where} lists {listed!r}; `{dotted}` holds data, not code: {how}"
        return DropReason(data_hint, fix)
    fix = _list_package_fix(project, where, dotted)
    if fix is not None and not source_file.endswith(".py"):
        # Data of the unlisted package: once the package is listed, it still needs a glob.
        data = _package_data_fix(project, package, source_file)
        if data is not None:
            fix = Fix(f"{fix.description}, and {data.description}", fix.edits + data.edits)
    return DropReason(hint, fix)


SETUP_CFG_PACKAGES = "[options] packages in setup.cfg"


def _list_package_fix(project: Project, where: str, dotted: str) -> Fix | None:
    if where == "[tool.setuptools] packages":
        edit = toml_array_append("pyproject.toml", ("tool", "setuptools", "packages"), [dotted])
        return Fix(f"add `{dotted}` to {where}", (edit,))
    if where == SETUP_CFG_PACKAGES:
        return Fix(f"add `{dotted}` to {where}", (setup_cfg.append_item("packages", dotted),))
    if not setup_py.can_append_to_list(setup_py.read_setup_py(project.root), "packages"):
        return None  # computed, not a literal: mcheck does not rewrite code
    edit = setup_py.append_to_list("packages", dotted)
    return Fix(f"add '{dotted}' to setup(packages=[...]) in setup.py", (edit,))


def _holds_code(project: Project, source_file: str) -> bool:
    directory = PurePosixPath(source_file).parent
    return any(PurePosixPath(f).parent == directory and f.endswith(".py") for f in project.files)


def _not_in_sdist(project: Project, package: PackageSource, source_file: str) -> DropReason | None:
    family = project.backend_family
    if family == "setuptools":
        hint = (
            f"{source_file} is not in the sdist, so a wheel built from it cannot contain it: include it "
            "with MANIFEST.in (e.g. `graft "
            + package.source_dir
            + "`) or let setuptools-scm list git files"
        )
        return DropReason(hint, _package_data_fix(project, package, source_file))
    if family == "hatchling":
        return DropReason(
            f"{source_file} is not in the sdist: check `exclude`/`only-include` under "
            "[tool.hatch.build.targets.sdist] and .gitignore"
        )
    if family == "poetry-core":
        return DropReason(
            f"{source_file} is not in the sdist: check `exclude` and `packages` in [tool.poetry]"
        )
    return DropReason(
        f"{source_file} is not in the sdist built by {project.backend}: check its include/exclude "
        "settings"
    )


def _undeclared_package_data(
    project: Project, package: PackageSource, source_file: str
) -> DropReason | None:
    """A data file setuptools was never told to install: no package-data glob covers it and
    include_package_data does not pick it up."""
    if not project.is_setuptools or source_file.endswith(".py"):
        return None
    fix = _package_data_fix(project, package, source_file)
    if fix is None:
        return None
    return DropReason(
        f"{source_file} is data of the package `{package.name}`, which setuptools installs only "
        "when a package-data glob covers it (or include_package_data with MANIFEST.in): "
        f"{fix.description}",
        fix,
    )


def _package_data_fix(project: Project, package: PackageSource, source_file: str) -> Fix | None:
    """A package-data glob of the file's directory and suffix, in the file that configures
    setuptools: ``[tool.setuptools.package-data]`` in pyproject.toml, ``[options.package_data]`` in
    setup.cfg, ``package_data=`` of a literal ``setup()`` call in setup.py (setuptools puts package
    data in the sdist too), or, under ``include_package_data = True``, the MANIFEST.in line that
    puts it in the sdist."""
    inside = PurePosixPath(source_file).relative_to(package.source_dir)
    glob = (inside.parent / f"*{inside.suffix}").as_posix().removeprefix("./")
    if "project" in project.pyproject and not project.has_setup_py:
        keys = ("tool", "setuptools", "package-data", package.name)
        edit = toml_array_append("pyproject.toml", keys, [glob])
        return Fix(f'add "{glob}" to [tool.setuptools.package-data] {package.name}', (edit,))
    text = setup_py.read_setup_py(project.root) if project.has_setup_py else ""
    cfg = setup_cfg.read_setup_cfg(project.root)
    if cfg is not None and not _setup_py_sets_package_data(text):
        if setup_cfg.option_is_true(cfg, "include_package_data"):
            return _manifest_fix(source_file, inside.suffix)
        edit = setup_cfg.append_item(package.name, glob, setup_cfg.PACKAGE_DATA)
        return Fix(f"add '{glob}' to [options.package_data] {package.name} in setup.cfg", (edit,))
    if not project.has_setup_py:
        return None
    if setup_py.includes_package_data(text):
        return _manifest_fix(source_file, inside.suffix)
    if not setup_py.can_add_package_data(text, package.name):
        return None
    edit = setup_py.add_package_data(package.name, glob)
    return Fix(f"add '{glob}' to setup(package_data={{'{package.name}': [...]}})", (edit,))


def _setup_py_sets_package_data(text: str) -> bool:
    """setup.py passes package data itself (its keywords override setup.cfg's)."""
    return bool(text) and any(
        setup_py.setup_keyword(text, keyword) not in (None, False)
        for keyword in ("package_data", "include_package_data")
    )


def _manifest_fix(source_file: str, suffix: str) -> Fix:
    """include_package_data ships what MANIFEST.in puts in the sdist: a line for the file's
    directory and suffix."""
    line = f"recursive-include {PurePosixPath(source_file).parent.as_posix()} *{suffix}"
    return Fix(f"add `{line}` to MANIFEST.in", (append_line("MANIFEST.in", line),))


# The settings that replace hatchling's default wheel file selection (force-include only adds)
HATCH_SELECTION_KEYS = ("packages", "only-include", "include")


def _hatch_default_selection(
    project: Project, package: PackageSource, source_file: str
) -> DropReason | None:
    """hatchling with no wheel file selection guesses the package from the project name
    (``my-app`` -> ``my_app/``, ``src/my_app/``); a package of another name is left out, and the
    wheel ships only what a build hook or force-include adds (hatch-vcs' version file)."""
    if project.backend_family != "hatchling" or project.name is None:
        return None
    build = project.pyproject.get("tool", {}).get("hatch", {}).get("build", {})
    wheel = build.get("targets", {}).get("wheel", {}) if isinstance(build, dict) else {}
    tables = [t for t in (build, wheel) if isinstance(t, dict)]
    if any(key in table for table in tables for key in HATCH_SELECTION_KEYS):
        return None
    guessed = project.name.replace("-", "_").replace(".", "_").lower()
    top = package.source_dir.rsplit("/", 1)[-1]
    if top.lower() == guessed:
        return None
    hint = (
        f"hatchling's wheel target has no file selection, so it looks for a package named after "
        f"the project ({guessed}/) and ships no {top}/: set `[tool.hatch.build.targets.wheel] "
        f'packages = ["{package.source_dir}"]`'
    )
    keys = ("tool", "hatch", "build", "targets", "wheel", "packages")
    edit = toml_array_append("pyproject.toml", keys, [package.source_dir])
    fix = Fix(f'set [tool.hatch.build.targets.wheel] packages = ["{package.source_dir}"]', (edit,))
    return DropReason(hint, fix)


def _generic(project: Project, in_sdist: bool) -> str:
    family = project.backend_family
    if family == "hatchling":
        return (
            "it is in the sdist but the wheel excludes it: check [tool.hatch.build.targets.wheel] "
            "`packages`/`only-include`/`exclude`"
        )
    if family == "setuptools":
        return (
            "it is in the sdist but not in any package setuptools installs: check `packages`, "
            "`package-dir` and `package-data`/`exclude-package-data`"
        )
    return f"it is in the sdist but {project.backend} left it out of the wheel: check its include/exclude settings"
