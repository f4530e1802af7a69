"""Build-artifact cache: the sdist and wheel of a project whose build inputs have not changed.

Building (sdist, then the wheel from the unpacked sdist) is the slowest stage of a warm run, and its
output only depends on what goes into it. The key therefore covers every input mcheck can see:

* the content and permission bits of every file the build is given (``project.files``, as
  :func:`mcheck.wheel.build.stage_source` stages them); for projects whose version comes from git also the
  HEAD commit, ``git describe`` (tags) and the dirty state, plus today's date when dirty (setuptools-scm
  puts the date in a dirty version);
* the ``[build-system]`` table (requires, backend, backend-path) and the build requirements *resolved*
  (``uv pip compile``), so ``setuptools>=61`` gets a new key when a new setuptools is released. When they
  cannot be resolved (offline) the cache is not used at all;
* the requirements the backend asked for at build time (``get_requires_for_build_*``), resolved too:
  they are only known after a first build, so an entry is found in two steps (see :func:`lookup`);
* the interpreter (implementation, version, binary), the platform tag, the versions of mcheck and
  ``build``, whether the backend ran sandboxed, the environment variables backends read
  (``SOURCE_DATE_EPOCH``, ``SETUPTOOLS_SCM_*`` ...) and those the project's own build code reads
  (:mod:`mcheck.cache.build_scripts`; build code that reads the environment in a way that cannot be
  pinned down is never cached).

Layout under ``builds/`` of :func:`mcheck.cache.cache_dir`: ``<key>.requires.json`` records what the
backend asked for; ``<entry>/`` holds ``sdist/``, ``wheel/`` and ``meta.json``. Entries are published
atomically and never modified (:func:`mcheck.cache.publish_entry`). Only successful builds are stored:
a failing build runs every time, so its MC001 reads exactly as without the cache.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import build
from packaging import tags

from mcheck import __version__
from mcheck.cache import cache_dir, evict, file_identity, publish_entry, touch_entry
from mcheck.cache.build_scripts import environment_reads
from mcheck.gitcmd import git_text, run_git
from mcheck.wheel.discover import Project
from mcheck.wheel.install import InstallFailed, find_uv, resolve_requirements

CACHE_FORMAT = 2  # bump when the key or the layout of an entry changes
META_FILE = "meta.json"
# Environment variables build backends are known to read; any of them changes the key.
KEYED_VARIABLES = ("SOURCE_DATE_EPOCH", "CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS")
KEYED_PREFIXES = (
    "SETUPTOOLS_",
    "HATCH_",
    "PDM_",
    "FLIT_",
    "POETRY_",
    "MATURIN_",
    "SKBUILD_",
    "CMAKE_",
)


@dataclass(frozen=True)
class BuildInputs:
    """What is known before the build: the key of everything but the backend's dynamic requirements."""

    key: str
    uv: str
    python: str = (
        sys.executable
    )  # the interpreter that builds (the dynamic requirements resolve for it)


@dataclass(frozen=True)
class CachedBuild:
    sdist: Path
    wheel: Path


def identify(project: Project, *, sandboxed: bool, python: str | None = None) -> BuildInputs | None:
    """The build inputs of ``project``; None when they cannot be pinned down (no uv, offline, git fails)."""
    uv = find_uv()
    if uv is None:
        return None
    try:
        pins = _resolve(uv, project.build_requires, python or sys.executable)
        vcs = (
            vcs_state(project)
            if project.uses_vcs_version and project.git_root is not None
            else None
        )
        source = _source_digest(project)
        outside = outside_digest(project)
    except (InstallFailed, OSError, subprocess.CalledProcessError):
        return None
    build_system = project.pyproject.get("build-system", {})
    read_by_build_code = environment_reads(project.root, build_system.get("backend-path"))
    if read_by_build_code is None:  # the environment may change the wheel in ways not known here
        return None
    identity = {
        "format": CACHE_FORMAT,
        "mcheck": __version__,
        "build": build.__version__,
        "source": source,
        "vcs": vcs,
        "outside": outside,
        "requires": list(project.build_requires),
        "backend": project.backend,
        "backend-path": build_system.get("backend-path"),
        "pins": pins,
        "sandboxed": sandboxed,
        "python": _interpreter() if python is None else _other_interpreter(python),
        "environment": _keyed_environment(read_by_build_code),
    }
    return BuildInputs(key=_digest(identity), uv=uv, python=python or sys.executable)


def lookup(inputs: BuildInputs, dest: Path) -> CachedBuild | None:
    """Copies in ``dest`` of the cached sdist and wheel for ``inputs``; None on a miss."""
    try:
        record = _builds_root() / f"{inputs.key}.requires.json"
        if not record.is_file():
            return None
        entry = _entry_path(inputs, json.loads(record.read_text("utf-8")))
        if entry is None or not _complete(entry):
            return None
        if not _intact(entry):  # damaged on disk: evicted, so the next run does not meet it again
            evict(entry)
            return None
        touch_entry(entry)
        return CachedBuild(
            sdist=_copy_only_file(entry / "sdist", dest),
            wheel=_copy_only_file(entry / "wheel", dest),
        )
    except (
        OSError,
        ValueError,
        InstallFailed,
    ):  # unreadable or half-deleted by hand: build instead
        return None


def store(inputs: BuildInputs, dynamic_requires: Sequence[str], sdist: Path, wheel: Path) -> None:
    """Keep ``sdist`` and ``wheel`` for the next run with the same inputs. Never fails the run."""
    try:
        entry = _entry_path(inputs, list(dynamic_requires))
        if entry is None:
            return
        publish_entry(entry, lambda staging: _fill(staging, sdist, wheel), complete=_complete)
        _write_atomically(
            _builds_root() / f"{inputs.key}.requires.json", json.dumps(list(dynamic_requires))
        )
    except (
        OSError,
        InstallFailed,
    ):  # a full disk or a read-only cache costs speed, not correctness
        return


# --- the key -----------------------------------------------------------------------------------------


def _entry_path(inputs: BuildInputs, dynamic_requires: list[str]) -> Path | None:
    """The entry for ``inputs`` plus what the backend asked for, resolved now; None if that fails."""
    try:
        pins = _resolve(inputs.uv, dynamic_requires, inputs.python)
    except InstallFailed:
        return None
    return _builds_root() / _digest(
        {"inputs": inputs.key, "dynamic": dynamic_requires, "pins": pins}
    )


def _resolve(uv: str, requirements: Sequence[str], python: str) -> list[str]:
    if not requirements:
        return []
    with tempfile.TemporaryDirectory(prefix="mcheck-build-requires-") as scratch:
        return resolve_requirements(uv, requirements, python, Path(scratch))


def _source_digest(project: Project) -> str:
    """One digest of every staged file's path, permission bits and content (symlinks followed, as staged)."""
    return files_digest(project.root, project.build_files or project.files)


def files_digest(root: Path, paths: Iterable[str]) -> str:
    """One digest of the path, permission bits and content of each of ``paths`` below ``root``."""
    total = hashlib.sha256()
    for rel in sorted(set(paths)):
        path = root / rel
        content = file_sha256(path)
        total.update(
            f"{rel}\0{path.stat().st_mode & 0o777:o}\0{content}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
    return total.hexdigest()


def outside_digest(project: Project) -> str | None:
    """A digest of what a build staged from git sees above the project directory: the tracked files of
    the named outside paths and of the parent directories (their top level)."""
    if not project.stages_from_git or project.git_root is None or project.git_root == project.root:
        return None
    listing = run_git(["ls-files", "-s", "-z"], repo=project.git_root).stdout.decode(
        "utf-8", "surrogateescape"
    )
    subdir = project.root.relative_to(project.git_root).as_posix() + "/"
    ancestors = {subdir.rsplit("/", i)[0] for i in range(1, subdir.count("/") + 1)} | {""}
    total = hashlib.sha256()
    for entry in sorted(filter(None, listing.split("\0"))):
        path = entry.split("\t", 1)[1]
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        named = any(path == p or path.startswith(p) for p in project.outside_paths)
        if (parent in ancestors or named) and not path.startswith(subdir):
            total.update(entry.encode("utf-8", "surrogateescape") + b"\n")
    return total.hexdigest()


def vcs_state(project: Project) -> dict[str, str]:
    """What a VCS version plugin derives the version from: the commit, the nearest tag and dirtiness."""
    head = _git(project, "rev-parse", "HEAD")
    describe = _git(project, "describe", "--tags", "--long", "--always")
    # diff-index, not status or describe --dirty: those refresh and rewrite the user's .git/index.
    # Without a refresh a touched file counts as changed: at worst a cache miss, never a wrong hit.
    status = _git(project, "diff-index", "--name-only", "HEAD", "--")
    state = {
        "head": head,
        "describe": describe,
        "status": hashlib.sha256(status.encode("utf-8", "surrogateescape")).hexdigest(),
    }
    if status:  # setuptools-scm appends the date to a dirty version
        state["date"] = datetime.datetime.now(datetime.UTC).date().isoformat()
    return state


def _git(project: Project, *args: str) -> str:
    return git_text(args, repo=project.root)


def _interpreter() -> dict[str, object]:
    """The interpreter the isolated build environment is created from, and the platform tag it builds for."""
    return {
        "implementation": sys.implementation.cache_tag,
        "version": sys.version,
        "binary": file_identity(sys.executable),
        "platform": sysconfig.get_platform(),
        "tag": str(next(tags.sys_tags())),
    }


def _other_interpreter(python: str) -> dict[str, object]:
    """Another interpreter builds: its binary (which holds its version) and the platform here."""
    return {"binary": file_identity(python), "platform": sysconfig.get_platform()}


def _keyed_environment(read_by_build_code: frozenset[str]) -> dict[str, str | None]:
    """The backends' own variables that are set, and every variable the project's build code reads,
    set or not (``None``: unset and empty are different inputs)."""
    keyed: dict[str, str | None] = {
        name: value
        for name, value in sorted(os.environ.items())
        if name in KEYED_VARIABLES or name.startswith(KEYED_PREFIXES)
    }
    keyed.update({name: os.environ.get(name) for name in sorted(read_by_build_code)})
    return keyed


def _digest(identity: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


# --- entries -----------------------------------------------------------------------------------------


def _builds_root() -> Path:
    return cache_dir() / "builds"


def _complete(entry: Path) -> bool:
    return (entry / META_FILE).is_file()


def _fill(staging: Path, sdist: Path, wheel: Path) -> None:
    for kind, artifact in (("sdist", sdist), ("wheel", wheel)):
        (staging / kind).mkdir()
        shutil.copy2(artifact, staging / kind / artifact.name)
    meta = {
        "sdist": sdist.name,
        "wheel": wheel.name,
        "sha256": {
            kind: file_sha256(artifact) for kind, artifact in (("sdist", sdist), ("wheel", wheel))
        },
        "mcheck": __version__,
    }
    (staging / META_FILE).write_text(
        json.dumps(meta), "utf-8"
    )  # written last: it marks the entry complete


def _intact(entry: Path) -> bool:
    """Both artifacts are there with the content they were stored with."""
    try:
        meta = json.loads((entry / META_FILE).read_text("utf-8"))
        return all(
            file_sha256(entry / kind / meta[kind]) == meta["sha256"][kind]
            for kind in ("sdist", "wheel")
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def file_sha256(path: Path) -> str:
    """The SHA-256 of ``path``'s content (the build and result caches key artifacts by it)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _copy_only_file(directory: Path, dest: Path) -> Path:
    (artifact,) = directory.iterdir()
    dest.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(artifact, dest / artifact.name))


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f"{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    finally:
        Path(temporary).unlink(missing_ok=True)
