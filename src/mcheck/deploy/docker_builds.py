"""``docker build`` commands the repository itself writes: which Dockerfile, with which context.

A Dockerfile outside the service directory (``.dockerfiles/Dockerfile``), or one whose context is not
its own directory (``docker build -f docker/api/Dockerfile .`` from the repository root), is often
named only where the image is built: a Justfile or Makefile recipe, a release script, a CI workflow.
mcheck reads those commands as written; nothing runs. Paths are taken from the repository root (the
recipes and workflows run there; a script says so in a comment or is run from there by convention),
else from the directory of the file that writes the command.
"""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from dataclasses import dataclass
from pathlib import Path

from mcheck.deploy.commands import logical_lines
from mcheck.smallfiles import read_small_text

# Files that build images: task runners, scripts and CI workflows (matched against the file name, or
# the repository path for workflows).
_BUILD_FILE_PATTERNS = (
    "Makefile",
    "makefile",
    "GNUmakefile",
    "*.mk",
    "justfile",
    "Justfile",
    ".justfile",
    "*.sh",
    "Taskfile.yml",
    "Taskfile.yaml",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
)
_MAX_FILES = 300  # a repository's build files; more is a vendored tree, not the project's recipes
# `docker build` options that take a value (the value is not the context).
_VALUE_OPTIONS = frozenset(
    {
        "-t",
        "--tag",
        "--build-arg",
        "--target",
        "--platform",
        "--label",
        "--cache-from",
        "--cache-to",
        "--secret",
        "-o",
        "--output",
        "--progress",
        "--network",
        "--ssh",
        "--build-context",
        "--add-host",
        "--iidfile",
        "--metadata-file",
        "--shm-size",
        "--ulimit",
        "-m",
        "--memory",
        "--builder",
        "--attest",
        "--annotation",
        "--provenance",
        "--sbom",
    }
)


@dataclass(frozen=True)
class DockerBuildCall:
    """One ``docker build`` a repository file writes, its paths repository-relative."""

    source_file: str
    line: int
    dockerfile: str  # "" for the context's own Dockerfile
    context: str  # "" for the repository root


def docker_build_calls(repo_root: Path, repo_files: list[str]) -> list[DockerBuildCall]:
    """Every ``docker build``/``docker buildx build``/``podman build`` in the repository's build
    files whose Dockerfile (or context) exists."""
    files = set(repo_files)
    dirs = {posixpath.dirname(f) for f in files}
    found: list[DockerBuildCall] = []
    for source in [f for f in sorted(files) if _is_build_file(f)][:_MAX_FILES]:
        try:
            text = read_small_text(repo_root / source, errors="replace")
        except OSError:
            continue
        for line, argv in _build_commands(text):
            call = _resolve(source, line, argv, files, dirs)
            if call is not None:
                found.append(call)
    return found


def _is_build_file(path: str) -> bool:
    name = posixpath.basename(path)
    return any(fnmatch.fnmatchcase(path if "/" in p else name, p) for p in _BUILD_FILE_PATTERNS)


def _build_commands(text: str) -> list[tuple[int, list[str]]]:
    """The arguments after ``build`` of each docker/podman build command, with its first line."""
    found: list[tuple[int, list[str]]] = []
    for first, joined in logical_lines(text):
        if "build" not in joined:
            continue
        try:
            words = shlex.split(joined, comments=True)
        except ValueError:
            continue
        for i, word in enumerate(words):
            if posixpath.basename(word) in ("docker", "podman"):
                rest = words[i + 1 :]
                if rest[:2] == ["buildx", "build"] or rest[:2] == ["image", "build"]:
                    found.append((first, rest[2:]))
                elif rest[:1] == ["build"]:
                    found.append((first, rest[1:]))
    return found


def _resolve(
    source: str, line: int, argv: list[str], files: set[str], dirs: set[str]
) -> DockerBuildCall | None:
    dockerfile, positional = _split(argv)
    if len(positional) != 1 or "$" in positional[0] or (dockerfile and "$" in dockerfile):
        return None
    for base in ("", posixpath.dirname(source)):
        context = _join(base, positional[0])
        if (
            context not in dirs
            and context != ""
            and not any(d.startswith(context + "/") for d in dirs)
        ):
            continue
        if dockerfile is None:
            if _join(context, "Dockerfile") in files:
                return DockerBuildCall(source, line, "", context)
            continue
        path = _join(base, dockerfile)
        if path in files:
            return DockerBuildCall(source, line, path, context)
    return None


def _split(argv: list[str]) -> tuple[str | None, list[str]]:
    dockerfile: str | None = None
    positional: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("-f", "--file"):
            dockerfile = argv[i + 1] if i + 1 < len(argv) else None
            skip = True
        elif arg.startswith("--file="):
            dockerfile = arg.split("=", 1)[1]
        elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            dockerfile = arg[2:]
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif arg in ("&&", "||", ";", "|"):
            break
        elif not arg.startswith("-"):
            positional.append(arg)
    return dockerfile, positional


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path))
    return "" if joined == "." else joined
