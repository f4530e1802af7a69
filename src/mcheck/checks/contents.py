"""Diff checks: source tree -> sdist -> wheel (MC101-MC106) and the wheel's RECORD (MC108)."""

from __future__ import annotations

import csv
import dataclasses
import fnmatch
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

import pathspec
from packaging.utils import canonicalize_name
from wheel.wheelfile import WheelError, WheelFile

from mcheck.checks import CheckContext, check
from mcheck.checks.drop_reasons import explain_drop
from mcheck.findings import Finding
from mcheck.knowledge.conventions import COMPILED_SOURCE_SUFFIXES, GENERIC_TOP_LEVEL
from mcheck.wheel.artifacts import SdistContents, WheelContents
from mcheck.wheel.discover import Project
from mcheck.wheel.layout import PackageSource, is_junk, map_packages

TESTS_DIR_NAMES = frozenset({"tests", "test", "testing"})


@check("MC101", "MC102")
def missing_from_wheel(ctx: CheckContext, project: Project) -> Iterator[Finding]:
    """Files under a shipped package's source directory that the wheel does not contain."""
    wheel = ctx.wheel
    source_files = project.file_set()
    installed = wheel.installed_files
    for package in map_packages(wheel, source_files):
        missing = [
            f
            for f in sorted(source_files)
            if package.contains(f)
            and package.wheel_path(f) not in installed
            and _expected_in_wheel(f)
        ]
        # A dropped code directory: its MC101 findings say why, its data files would only repeat it. A
        # dropped data package (nothing but an `__init__.py`) is about its data: those are reported.
        missing_py_dirs = {
            PurePosixPath(f).parent
            for f in missing
            if f.endswith(".py") and PurePosixPath(f).name != "__init__.py"
        }
        read_at_import = _files_named_by_import_failures(ctx)
        for source_file in missing:
            if _deliberately_excluded(ctx, project, package, source_file):
                continue
            is_python = source_file.endswith(".py")
            needed = package.wheel_path(source_file) in read_at_import
            if (
                not is_python
                and PurePosixPath(source_file).parent in missing_py_dirs
                and not needed
            ):
                continue  # the whole module directory is missing; its MC101 findings say why
            yield _missing_finding(
                ctx, project, package, source_file, "MC101" if is_python else "MC102"
            )


def _files_named_by_import_failures(ctx: CheckContext) -> set[str]:
    """Wheel paths that a module failed to open at import time (``FileNotFoundError: 'pkg/data/x.json'``):
    such a data file is reported on its own even when its whole directory is missing."""
    if ctx.probe is None:
        return set()
    named = set()
    for result in ctx.probe.modules.values():
        if result.error is not None and result.error.type.endswith("FileNotFoundError"):
            for path in re.findall(r"'([^']+)'", result.error.message):
                parts = PurePosixPath(path).parts
                named.update("/".join(parts[i:]) for i in range(len(parts)))
    return named


def _expected_in_wheel(source_file: str) -> bool:
    return not is_junk(source_file) and not source_file.endswith(COMPILED_SOURCE_SUFFIXES)


def _deliberately_excluded(
    ctx: CheckContext, project: Project, package: PackageSource, source_file: str
) -> bool:
    """A tests directory or a file matched by an explicit exclude rule, that no shipped code imports."""
    wheel_path = package.wheel_path(source_file)
    if _imported_by_shipped_code(ctx, wheel_path):
        return False
    in_tests_dir = any(part in TESTS_DIR_NAMES for part in PurePosixPath(wheel_path).parts[1:-1])
    return in_tests_dir or _matches_exclude_config(project, source_file, wheel_path)


def _imported_by_shipped_code(ctx: CheckContext, wheel_path: str) -> bool:
    if ctx.analysis is None or not wheel_path.endswith(".py"):
        return False
    module = wheel_path[:-3].removesuffix("/__init__").replace("/", ".")
    return any(
        site.target == module or f"{site.target}.{n}" == module
        for site in ctx.analysis.imports
        for n in (site.names or ("",))
    )


def _matches_exclude_config(project: Project, source_file: str, wheel_path: str) -> bool:
    tool = project.pyproject.get("tool", {})
    globs: list[str] = []
    hatch_build = tool.get("hatch", {}).get("build", {})
    for table in (hatch_build, *hatch_build.get("targets", {}).values()):
        globs += table.get("exclude", [])
    globs += tool.get("poetry", {}).get("exclude", [])
    if globs and pathspec.PathSpec.from_lines("gitwildmatch", globs).match_file(source_file):
        return True
    find = tool.get("setuptools", {}).get("packages", {})
    excluded_packages = find.get("find", {}).get("exclude", []) if isinstance(find, dict) else []
    dotted = str(PurePosixPath(wheel_path).parent).replace("/", ".")
    return any(fnmatch.fnmatchcase(dotted, pattern) for pattern in excluded_packages)


def _missing_finding(
    ctx: CheckContext, project: Project, package: PackageSource, source_file: str, code: str
) -> Finding:
    wheel_path = package.wheel_path(source_file)
    in_sdist = ctx.sdist is None or source_file in ctx.sdist.files
    stage = "the wheel" if in_sdist else "the sdist"
    what = "module" if code == "MC101" else "data file"
    reason = explain_drop(project, package, source_file, in_sdist=in_sdist)
    importers = _importers(ctx, wheel_path)
    message = f"{what} {source_file} is not in the wheel (dropped when building {stage})"
    if importers:
        message += f"; imported by {', '.join(importers[:3])}"
    return Finding(code, path=wheel_path, message=message, hint=reason.hint, fix=reason.fix)


def _importers(ctx: CheckContext, wheel_path: str) -> list[str]:
    if ctx.analysis is None or not wheel_path.endswith(".py"):
        return []
    module = wheel_path[:-3].removesuffix("/__init__").replace("/", ".")
    return sorted(
        {
            f"{s.path}:{s.line}"
            for s in ctx.analysis.imports
            if s.target == module or any(f"{s.target}.{n}" == module for n in s.names)
        }
    )


@check("MC103")
def shadowed_modules(ctx: CheckContext) -> Iterator[Finding]:
    """``x.py`` next to a directory ``x/``: only one of them is importable."""
    files = set(ctx.wheel.installed_files)
    if ctx.project is not None:
        for package in map_packages(ctx.wheel, ctx.project.file_set()):
            files |= {package.wheel_path(f) for f in ctx.project.files if package.contains(f)}
    # every directory holding a module at any depth: x.py also hides x/sub/m.py when x/ has no __init__.py
    directories = {
        d.as_posix() for f in files if f.endswith(".py") for d in PurePosixPath(f).parents
    }
    for path in sorted(files):
        if not path.endswith(".py") or path.endswith("/__init__.py"):
            continue
        as_dir = path[:-3]
        if as_dir in directories:
            yield _shadow_finding(path, as_dir, regular_package=f"{as_dir}/__init__.py" in files)


def _shadow_finding(module_file: str, package_dir: str, *, regular_package: bool) -> Finding:
    dotted = package_dir.replace("/", ".")
    if regular_package:
        message = (
            f"{module_file} is shadowed by the package {package_dir}/: `import {dotted}` always loads "
            f"{package_dir}/__init__.py, so nothing defined only in {module_file} can be imported"
        )
        hint = (
            f"move the contents of {module_file} into {package_dir}/__init__.py (or a submodule re-exported "
            f"there) and delete {module_file}"
        )
    else:
        message = (
            f"{module_file} shadows the directory {package_dir}/ (it has no __init__.py): "
            f"`import {dotted}` loads {module_file}, so no module under {package_dir}/ can be imported"
        )
        hint = (
            f"add {package_dir}/__init__.py and move {module_file} into it, or rename one of them"
        )
    return Finding("MC103", path=module_file, message=message, hint=hint)


@check("MC104")
def stale_files(
    ctx: CheckContext, fresh_wheel: WheelContents, project: Project
) -> Iterator[Finding]:
    """A given wheel ships files that neither the source tree nor a fresh build has."""
    fresh = set(fresh_wheel.installed_files)
    packages = map_packages(fresh_wheel, project.file_set())
    source_files = project.file_set()
    for path in sorted(ctx.wheel.installed_files):
        if path in fresh or is_junk(path):  # junk has its own code, MC106
            continue
        if any(
            path.startswith(p.name + "/") and p.source_path(path) in source_files for p in packages
        ):
            continue
        yield Finding(
            "MC104",
            path=path,
            message=f"{path} is in the wheel but not in the source tree, and a fresh build does not "
            "produce it (a leftover of an old build directory?)",
            hint="delete build/ and *.egg-info, rebuild the wheel from a clean tree "
            "(python -m build / uv build) and check the new file",
        )


@check("MC105")
def generic_top_level(ctx: CheckContext) -> Iterator[Finding]:
    tops = {p.split("/", 1)[0] for p in ctx.wheel.installed_files if "/" in p}
    # A distribution named after the generic word owns it (the `build` package of PyPI's `build`).
    own = canonicalize_name(ctx.wheel.name).replace("-", "_")
    for name in sorted(tops & GENERIC_TOP_LEVEL - {own}):
        yield Finding(
            "MC105",
            path=f"{name}/",
            message=f"the wheel installs a top-level package named `{name}` into site-packages",
            hint=f'exclude it from package discovery (setuptools: `exclude = ["{name}*"]` in '
            "[tool.setuptools.packages.find]; hatch: list only your package in `packages`)",
        )
    if "__init__.py" in ctx.wheel.installed_files:
        yield Finding(
            "MC105",
            path="__init__.py",
            message="the wheel installs __init__.py at the top of site-packages",
            hint="the package directory itself was used as the source root: point the backend at "
            "its parent (setuptools `package-dir`, hatch `packages`)",
        )


@check("MC106")
def junk_files(ctx: CheckContext) -> Iterator[Finding]:
    for member in sorted(ctx.wheel.members):
        if is_junk(member):
            yield Finding(
                "MC106",
                path=member,
                message=f"{member} is bytecode or junk and should not ship",
                hint="exclude it from the build (clean the tree or narrow the include rules)",
            )


@check("MC108")
def record_integrity(ctx: CheckContext) -> Iterator[Finding]:
    yield from verify_record(ctx.wheel)


def verify_record(wheel: WheelContents) -> Iterator[Finding]:
    """Every file listed in RECORD with the right hash and size, and every RECORD entry present."""
    record_name = f"{wheel.dist_info}/RECORD"
    if record_name not in wheel.members:
        yield Finding(
            "MC108",
            path=record_name,
            message=f"{record_name} is missing: the wheel lists no files",
            hint="rebuild the wheel with a PEP 517 build tool",
        )
        return
    try:
        wf = WheelFile(wheel.path)
    except (WheelError, zipfile.BadZipFile, ValueError) as exc:
        yield Finding(
            "MC108",
            path=record_name,
            message=f"RECORD cannot be used: {exc}",
            hint="rebuild the wheel with a PEP 517 build tool",
        )
        return
    with wf:
        for member in wheel.members:
            if member == record_name or member.endswith((".jws", ".p7s")):
                continue
            try:
                with wf.open(member) as fh:
                    while fh.read(1 << 20):
                        pass
            except WheelError as exc:
                yield Finding(
                    "MC108",
                    path=member,
                    message=f"{member}: {exc}",
                    hint="the wheel was modified after it was built; rebuild it instead of patching it",
                )
        listed = _record_paths(wf.read(record_name).decode("utf-8", "replace"))
    for path in sorted(listed - set(wheel.members)):
        yield Finding(
            "MC108",
            path=path,
            message=f"RECORD lists {path}, which is not in the wheel",
            hint="rebuild the wheel; a file was removed after the build",
        )


def _record_paths(text: str) -> set[str]:
    return {row[0] for row in csv.reader(io.StringIO(text)) if row and row[0]}


def dropped_from_local_wheel(
    project: Project, wheel: WheelContents, sdist: SdistContents | None, label: str
) -> list[Finding]:
    """MC101/MC102 of another project of the repository (a local dependency, a package a service
    installs), as findings of the report that installs it: ``label`` says whose they are, and each
    knows its repository path, since the report's own wheel does not map it."""
    from mcheck.checks import CheckContext
    from mcheck.wheel.source_map import RepoPaths

    paths = RepoPaths(wheel, project)
    ctx = CheckContext(wheel=wheel, project=project, sdist=sdist)
    return [
        dataclasses.replace(f, message=f"{label}: {f.message}", repo_path=paths.for_finding(f))
        for f in missing_from_wheel(ctx, project)
    ]
