"""The replay stage: the result-cache key of this run, once the artifacts and interpreters are known.

It runs after the build (served by the build cache on a warm run) and before the install. The key
(:func:`mcheck.cache.results.result_key`) is made of what the report depends on:

* the target and the project's files (path, mode, content), and what a VCS version or a build staged
  from git sees (the commit, tags and dirtiness for a version from git; the tracked files above
  the project);
* the bytes of the wheel, the sdist and the wheel built from the tree or for comparison, and of the
  repository's own projects this one installs (local wheels);
* the workspace siblings a module may come from;
* per interpreter: its binary, and the dependency set ``uv pip compile`` resolves *now* (a new release
  of a dependency is a new key, as for the venv cache);
* the settings, the sandbox, and the environment the probes are given;
* mcheck itself: its version, the files of its code (an editable install changes without a new
  version) and the versions of the libraries its checks use (a new trove-classifiers release knows
  new classifiers).

Nothing here decides whether a run may replay: :func:`replayable` does, from the options.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcheck.cache import file_identity
from mcheck.cache.builds import file_sha256, files_digest, outside_digest, vcs_state
from mcheck.interpreters import Interpreter
from mcheck.probes.runner import ENV_ALLOWLIST
from mcheck.settings import Settings
from mcheck.wheel.discover import Project
from mcheck.wheel.install import InstallFailed, dependency_key, find_uv, resolve_dependencies
from mcheck.wheel.local_deps import workspace_siblings

# Set to "off" to keep the build and venv caches but compute every report (benchmarks of the work
# a run does, debugging a check). ``--no-cache`` turns every cache off.
RESULT_CACHE_VARIABLE = "MCHECK_RESULT_CACHE"


@dataclass(frozen=True)
class ResultInputs:
    """The key of this run's report, and what was resolved to make it (the install reuses it)."""

    key_identity: Mapping[str, object]
    pins: Mapping[str, list[str]]  # interpreter path -> the resolved dependency set


def replayable(settings: Settings, *, fix: bool, serve: bool, keep: bool) -> bool:
    """Whether a run with these settings and options may replay a stored report: not with the caches
    off, not when the user asks for what only a real run gives (fixes proven by re-runs, a server
    started, the work directory kept), and not with ``--tests``: a suite may read the clock or the
    network, which no key covers."""
    if os.environ.get(RESULT_CACHE_VARIABLE, "").lower() in ("off", "0", "no", "false"):
        return False
    return settings.cache and settings.tests is None and not (fix or serve or keep)


def result_inputs(
    *,
    target: Path,
    project: Project | None,
    artifacts: Sequence[Path],
    local_wheels: Sequence[Path],
    interpreters: Sequence[Interpreter],
    settings: Settings,
    sandboxed: bool,
    scratch: Path,
) -> ResultInputs | None:
    """The inputs of this run's report; None when one of them cannot be pinned down (no uv, the
    dependencies do not resolve, git fails, a file vanished)."""
    uv = find_uv()
    if uv is None:
        return None
    wheel = artifacts[0]
    try:
        pins = {
            python.path: resolve_dependencies(
                uv, wheel, python.path, settings.extras, scratch, local_wheels
            )
            for python in interpreters
        }
        venvs = [dependency_key(uv, python.path, pins[python.path]) for python in interpreters]
        identity = {
            "target": str(target.resolve()),
            "project": _project_identity(project, target) if project is not None else None,
            "artifacts": [file_sha256(path) for path in artifacts],
            "local_wheels": [file_sha256(path) for path in local_wheels],
            "interpreters": [
                [python.full_version, file_identity(python.path)] for python in interpreters
            ],
            "dependencies": venvs,
            "settings": _settings_identity(settings),
            "sandboxed": sandboxed,
            "environment": _probe_environment(),
            "tool": _tool_identity(),
        }
    except (InstallFailed, OSError, subprocess.SubprocessError, ValueError):
        return None
    if None in venvs:  # a local reference too large to key
        return None
    return ResultInputs(identity, pins)


def _project_identity(project: Project, target: Path) -> dict[str, object]:
    siblings = workspace_siblings(project.root)
    # A given sdist is unpacked into this run's work directory: it is where it came from.
    given_sdist = target.name.endswith(".tar.gz")
    return {
        "root": None if given_sdist else str(project.root.resolve()),
        "files": files_digest(project.root, (*project.files, *project.build_files)),
        # The commit only where the version comes from it: in a monorepo, a commit to one member
        # must not be a new key for every other.
        "vcs": vcs_state(project) if project.uses_vcs_version and project.git_root else None,
        "outside": outside_digest(project),
        "siblings": sorted(
            (name, member.name, str(member.root), list(member.import_names))
            for name, member in siblings.items()
        ),
    }


def _settings_identity(settings: Settings) -> str:
    """Every setting, and where each came from (reports quote it: "declared by [tool.mcheck]")."""
    values = dataclasses.asdict(settings)
    return json.dumps(values, sort_keys=True, default=str)


@functools.cache
def _tool_identity() -> tuple[object, ...]:
    """mcheck's own code (path, size and mtime of each file: a stat, no read) and the versions of
    the distributions it requires, once per process."""
    package = Path(__file__).resolve().parent.parent
    code = sorted(
        (str(path.relative_to(package)), stat.st_size, stat.st_mtime_ns)
        for path in package.rglob("*.py")
        for stat in (path.stat(),)
    )
    requires = [r for r in importlib.metadata.requires("mcheck") or [] if "extra ==" not in r]
    names = sorted({re.split(r"[\s;\[<>=!~(]", line, maxsplit=1)[0] for line in requires})
    versions = []
    for name in names:
        try:
            versions.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:  # an extra's requirement, not installed
            continue
    return (hashlib.sha256(repr(code).encode()).hexdigest(), tuple(versions))


def _probe_environment() -> dict[str, str]:
    return {
        key: value
        for key, value in sorted(os.environ.items())
        if key in ENV_ALLOWLIST or key.startswith("LC_")
    }
