"""Shared fixtures.

Sample projects (``sample_projects/<name>/``) are never checked in place: every run works on a private
copy under pytest's temporary directory, so a build that wrote into its source tree could neither
dirty the repository nor hide from the tests that look for exactly that. Checking a sample builds,
installs and imports it, which takes seconds, so each sample is checked once per session and every
test that looks at its report shares that run.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.version import Version

if TYPE_CHECKING:
    from mcheck.findings import Report

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "sample_projects"

# Build leftovers of someone's local experiment in the repository's sample tree are never copied:
# the samples are defined by their committed files only.
_COPY_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyo", "build", "dist", "*.egg-info"
)

# check_wheel's timeout per sample; samples not listed use the API's default.
SAMPLE_TIMEOUTS = {"import_hangs": 3.0}


def copy_sample(name: str, dest: Path) -> Path:
    """Copy ``sample_projects/<name>`` to ``dest`` (which must not exist) and return ``dest``."""
    source = SAMPLES_DIR / name
    if not source.is_dir():
        raise LookupError(f"no sample project named {name!r} in {SAMPLES_DIR}")
    shutil.copytree(source, dest, ignore=_COPY_IGNORE, symlinks=True)
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """Every file (sha256 of its bytes) and directory (``"dir"``) under ``root``, keyed by posix path.

    Directories are listed too, so a build that leaves an empty ``build/`` or ``*.egg-info`` behind
    changes the digest as much as one that writes a file.
    """
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest[rel] = "symlink:" + str(path.readlink())
        elif path.is_dir():
            digest[rel] = "dir"
        else:
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def run_check(target: Path, *, source: Path | None = None, timeout: float | None = None) -> Report:
    """``mcheck.api.check_wheel`` (imported here, not at module level, so that this conftest, shared by
    every test module, loads even while the API is missing or broken)."""
    from mcheck.api import check_wheel

    kwargs: dict = {}
    if source is not None:
        kwargs["source"] = source
    if timeout is not None:
        kwargs["timeout"] = timeout
    # From an empty directory: a given wheel without ``source`` would otherwise be compared with whatever
    # project the current directory holds (this repository, when pytest runs from its root).
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        return check_wheel(Path(target).resolve(), **kwargs)


@dataclass(frozen=True)
class CheckedSample:
    """One check of a private copy of a sample project."""

    name: str
    root: Path  # the copy that was checked
    report: Report
    tree_before: dict[str, str]
    tree_after: dict[str, str]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CheckedSample]:
    """``sample_run(name)``: check a fresh copy of the sample once per session and keep the result.

    A run that raised is cached too: every test asking for it fails with that exception (re-raised),
    without checking the sample again.
    """
    cache: dict[str, CheckedSample | BaseException] = {}

    def run(name: str) -> CheckedSample:
        if name not in cache:
            root = copy_sample(name, tmp_path_factory.mktemp(f"sample-{name}") / name)
            before = tree_digest(root)
            try:
                report = run_check(root, timeout=SAMPLE_TIMEOUTS.get(name))
            except Exception as exc:
                cache[name] = exc
                raise
            cache[name] = CheckedSample(name, root, report, before, tree_digest(root))
        cached = cache[name]
        if isinstance(cached, BaseException):
            raise cached
        return cached

    return run


@pytest.fixture(scope="session")
def checked(sample_run: Callable[[str], CheckedSample]) -> Callable[[str], Report]:
    """``checked(name)``: the Report of the session's (single) check of sample ``name``."""

    def report(name: str) -> Report:
        return sample_run(name).report

    return report


@pytest.fixture
def sample_copy(tmp_path: Path) -> Callable[[str], Path]:
    """``sample_copy(name)``: a private, modifiable copy of a sample for this test only."""

    def make(name: str) -> Path:
        return copy_sample(name, tmp_path / "samples" / name)

    return make


# Samples whose session reports the CLI-level tests reuse through ``sample_reports``.
CLI_CACHED_SAMPLES = ("import_raises", "optional_extra")


@pytest.fixture
def sample_reports(monkeypatch: pytest.MonkeyPatch, checked: Callable[[str], Report]) -> None:
    """``mcheck wheel DIR`` answers with the session's report of the sample named like DIR instead of checking
    again (tests of output routing and integrations need a real report, not another build)."""
    import mcheck.api

    # Checked before the stand-in is installed: the session cache itself calls mcheck.api.check_wheel.
    reports = {name: checked(name) for name in CLI_CACHED_SAMPLES}

    def check_wheel(target: Path, **options: object) -> Report:
        return reports[Path(target).resolve().name]

    monkeypatch.setattr(mcheck.api, "check_wheel", check_wheel)


@pytest.fixture
def no_github_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under GitHub Actions the real job summary must not collect the tests' output."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def python_installed(version: str) -> bool:
    """Whether mcheck finds an installed interpreter for ``version`` here (tests needing it skip)."""
    from mcheck.errors import UsageError
    from mcheck.interpreters import resolve_interpreter

    try:
        resolve_interpreter(version)
    except UsageError:
        return False
    return True


def committed_copy(name: str, tmp_path: Path) -> Path:
    """The sample as a clean git checkout (so --fix finds no uncommitted changes)."""
    root = copy_sample(name, tmp_path / name)
    git = ["git", "-c", "user.email=t@mcheck", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "sample"]):
        subprocess.run([*git, *args], cwd=root, check=True)
    return root


def golden_diff(path: Path, report: Report) -> str:
    """The golden diff at ``path``, with each ``{installed:DIST}`` replaced by the version of DIST
    the proving run installed (a declared dependency gets it as its lower bound; the index decides
    what it is), read from the fix's description (``"attrs>=26.1.0"``, ``add attrs>=26.1.0 to``)."""
    text = path.read_text(encoding="utf-8")
    for dist in re.findall(r"\{installed:([\w.-]+)\}", text):
        [version] = {
            match
            for outcome in report.fixes
            for match in re.findall(
                rf"(?<![\w-]){re.escape(dist)}>=([^\s\"]+)", outcome.description
            )
        }
        Version(version)  # a real version, not whatever text followed ">="
        text = text.replace(f"{{installed:{dist}}}", version)
    return text


def built_sdist(project: Path, dist: Path) -> Path:
    """The sdist ``uv build --sdist`` makes of ``project`` in ``dist``."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--sdist", "-q", "-o", str(dist), str(project)],
        check=True,
    )
    (sdist,) = dist.glob("*.tar.gz")
    return sdist
