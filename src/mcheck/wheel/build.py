"""Stage 2, build: the sdist from a private copy of the project, then the wheel *from that sdist*.

That is what pip does when it installs a source release, so anything the sdist forgot shows up as a
file missing from the wheel. The user's tree is never written to: setuptools drops ``build/`` and
``*.egg-info`` next to the sources, so the backend runs on a copy that holds exactly the source file
list of :mod:`mcheck.wheel.discover` (stale ``build/`` and ``*.egg-info`` leftovers never reach it).

Build dependencies are installed with ``uv`` through ``build``'s isolated environment. Which index uv
uses is uv's own configuration (``UV_DEFAULT_INDEX``, ``UV_INDEX``, ``uv.toml``); pip's configuration
is not consulted.

The backend gets ``timeout`` seconds in all (``build-timeout``, 600 by default): a hook still running
then is killed with its process group and the build fails with MC001. With ``cache`` a project whose
build inputs are unchanged gets last run's sdist and wheel back without running the backend (see
:mod:`mcheck.cache.builds`).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Literal

import build
import build.env
from packaging.requirements import InvalidRequirement, Requirement

from mcheck.cache import builds as build_cache
from mcheck.errors import UsageError, raise_if_interrupted
from mcheck.gitcmd import run_git
from mcheck.sandbox import Sandbox
from mcheck.wheel.discover import Project

LOG_TAIL_LINES = 30
DEFAULT_BUILD_TIMEOUT = 600.0  # seconds the backend may take for the sdist and the wheel together
OUTPUT_TAIL_BYTES = 256 * 1024  # what is kept of a hook's output: far more than the log tail shown
OUTPUT_GRACE = 2.0  # seconds to wait for the output pipe to close once the hook's group is gone
INTERRUPT_POLL = 0.25  # seconds between checks for an interrupt while a backend hook runs
BuildStage = Literal["sdist", "wheel"]


@dataclass(frozen=True)
class BuildFailure:
    stage: BuildStage
    message: str
    log_tail: str
    srcdir: Path | None = None  # the directory the backend built in (staged tree or unpacked sdist)


@dataclass(frozen=True)
class BuildResult:
    sdist: Path | None = None
    wheel: Path | None = None
    failure: BuildFailure | None = None
    from_cache: bool = False  # the sdist and wheel of an earlier run with the same build inputs
    # When the wheel does not build from the sdist: the wheel built straight from the source tree (what
    # `pip install .` and `pip install git+URL` build), and the files the tree has, the sdist lacks
    # and the failed build's log names.
    tree_wheel: Path | None = None
    sdist_lacks: tuple[str, ...] = ()


class BuildTimedOut(Exception):
    """A backend hook was still running when the build's time was up."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"the build backend did not finish within {timeout:g} s")


@dataclass(frozen=True)
class _Deadline:
    timeout: float
    at: float  # time.monotonic() when the time is up

    @classmethod
    def after(cls, timeout: float) -> _Deadline:
        return cls(timeout, time.monotonic() + timeout)

    def remaining(self) -> float:
        return self.at - time.monotonic()


class _CapturingRunner:
    """A pyproject-hooks subprocess runner that keeps the backend's output for the failure report."""

    def __init__(
        self, deadline: _Deadline, sandbox: Sandbox | None = None, workdir: Path | None = None
    ) -> None:
        self.output: list[str] = []
        self.deadline = deadline
        self.sandbox = sandbox
        self.workdir = workdir

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ.copy()
        env.update(extra_environ or {})
        if self.sandbox is not None and self.workdir is not None:
            cmd, env["TMPDIR"] = self._sandboxed(cmd), str(self.workdir / "tmp")
        # Its own process group: helpers the backend starts (compilers, daemons) are killed with it,
        # when the hook returns and when mcheck is interrupted.
        with subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=os.name == "posix",
        ) as proc:
            assert proc.stdout is not None
            output = _OutputTail(proc.stdout)
            try:
                _wait(proc, self.deadline)
            finally:
                # First the group, then the output: a helper that inherited the hook's stdout keeps
                # the pipe open, and the hook is done when the hook exits, not when the pipe closes.
                _kill_group(proc)
                self.output.append(output.collect(OUTPUT_GRACE))
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, self.output[-1].encode())

    def tail(self) -> str:
        return _tail("".join(self.output))

    def _sandboxed(self, cmd: Sequence[str]) -> list[str]:
        assert self.sandbox is not None and self.workdir is not None
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        # pyproject-hooks passes the hook's control directory (where the hook writes its result) as an argument
        control_dirs = [Path(arg) for arg in cmd[1:] if Path(arg).is_dir()]
        return self.sandbox.wrap(cmd, writable=[self.workdir, *control_dirs])


def build_artifacts(
    project: Project,
    workdir: Path,
    sandbox: Sandbox | None = None,
    *,
    timeout: float = DEFAULT_BUILD_TIMEOUT,
    cache: bool = False,
    python: str | None = None,
    on_sdist: Callable[[Path], None] | None = None,
) -> BuildResult:
    """Build sdist then wheel-from-sdist for ``project`` entirely inside ``workdir``; with ``sandbox`` the
    backend's hooks run in it (build requirements are still installed outside: that needs the network).
    With ``cache``, unchanged build inputs get the artifacts of an earlier run instead. ``python``
    runs the backend (a platform wheel is built for the interpreter that builds it); None: mcheck's.
    ``on_sdist(sdist)`` is called once the sdist is built, before its wheel (work that needs only the
    sdist starts there, side by side with the wheel's build)."""
    inputs = (
        build_cache.identify(project, sandboxed=sandbox is not None, python=python)
        if cache
        else None
    )
    if inputs is not None:
        cached = build_cache.lookup(inputs, workdir / "dist")
        if cached is not None:
            return BuildResult(sdist=cached.sdist, wheel=cached.wheel, from_cache=True)
    dynamic_requires: list[str] = []
    result = _build_from_source(
        project, workdir, sandbox, _Deadline.after(timeout), dynamic_requires, python, on_sdist
    )
    if inputs is not None and result.failure is None:
        assert result.sdist is not None and result.wheel is not None
        build_cache.store(inputs, dynamic_requires, result.sdist, result.wheel)
    return result


def _build_from_source(
    project: Project,
    workdir: Path,
    sandbox: Sandbox | None,
    deadline: _Deadline,
    dynamic_requires: list[str],
    python: str | None = None,
    on_sdist: Callable[[Path], None] | None = None,
) -> BuildResult:
    """Run the backend: the sdist of the staged source, then the wheel of the unpacked sdist."""
    staged = stage_source(project, workdir / "source")
    dist = workdir / "dist"
    with isolated_env(python) as env:
        sdist, failure = _build_one(
            env,
            staged,
            "sdist",
            dist,
            _CapturingRunner(deadline, sandbox, workdir),
            dynamic_requires,
        )
        if failure is not None:
            return BuildResult(failure=failure)
        if on_sdist is not None:
            on_sdist(sdist)
        unpacked = unpack_sdist(sdist, workdir / "sdist")
        wheel, failure = _build_one(
            env,
            unpacked,
            "wheel",
            dist,
            _CapturingRunner(deadline, sandbox, workdir),
            dynamic_requires,
        )
        if failure is None:
            return BuildResult(sdist=sdist, wheel=wheel)
        # The other build path: from the tree, as pip builds a checkout. If that works, the sdist lacks
        # something the backend reads; the rest of the run checks the wheel users of the tree get.
        tree_wheel, tree_failure = _build_one(
            env,
            staged,
            "wheel",
            workdir / "dist-tree",
            _CapturingRunner(deadline, sandbox, workdir),
            [],
        )
    if tree_failure is not None:
        return BuildResult(sdist=sdist, failure=failure)
    lacks = files_named_in_log(
        failure.log_tail + "\n" + failure.message, _tree_files(staged), unpacked
    )
    return BuildResult(sdist=sdist, failure=failure, tree_wheel=tree_wheel, sdist_lacks=lacks)


# A file the backend wanted and did not find, as Python, setuptools and hatchling word it.
_MISSING_FILE = re.compile(
    r"No such file or directory: '([^']+)'|FileNotFoundError: [^\n]*?'([^']+)'"
    r"|(?:Readme file|Forced include|License file) (?:does not exist|not found): (\S+)"
    r"|can't copy '([^']+)': doesn't exist|file '([^']+)' does not exist"
)


_ERROR_LINE = re.compile(
    r"^\s*((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Warning)|error): (.+\S)\s*$"
)


def backend_error(log: str) -> str | None:
    """The backend's own last error line (``ValueError: Readme file does not exist: README.md``,
    ``error: package directory 'x' does not exist``): what a user needs from a 40-line log."""
    for line in reversed(log.splitlines()):
        match = _ERROR_LINE.match(line)
        if match is not None:
            return f"{match.group(1)}: {match.group(2)}"
    return None


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def raising_project_frame(failure: BuildFailure) -> tuple[str, int] | None:
    """The innermost traceback frame of the log that is a file of the built project (``setup.py:2``)."""
    if failure.srcdir is None:
        return None
    root = failure.srcdir.resolve()
    frames = [(m.group(1), int(m.group(2))) for m in _FRAME.finditer(failure.log_tail)]
    found = None
    for index, (file, line) in enumerate(frames):
        if (
            file == "<string>"
            and index
            and frames[index - 1][0].endswith("setuptools/build_meta.py")
        ):
            found = ("setup.py", line)  # setuptools exec()s setup.py under the name "<string>"
            continue
        try:
            found = (Path(file).resolve().relative_to(root).as_posix(), line)
        except (ValueError, OSError):
            continue
    return found


def files_named_in_log(log: str, tree_files: frozenset[str], sdist_root: Path) -> tuple[str, ...]:
    """Tree files the failed build's log says are missing (the sdist lacks them): matched by their path
    relative to the project, else by a unique file name."""
    found: list[str] = []
    for match in _MISSING_FILE.finditer(log):
        named = next(g for g in match.groups() if g)
        try:
            named = Path(named).relative_to(sdist_root).as_posix()
        except ValueError:
            named = named.removeprefix("./")
        if named in tree_files:
            found.append(named)
            continue
        same_name = sorted(f for f in tree_files if f.rsplit("/", 1)[-1] == Path(named).name)
        if len(same_name) == 1:
            found.append(same_name[0])
    return tuple(dict.fromkeys(found))


def _tree_files(root: Path) -> frozenset[str]:
    return frozenset(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )


def build_wheel_only(
    source_dir: Path, workdir: Path, timeout: float = DEFAULT_BUILD_TIMEOUT
) -> BuildResult:
    """Build just a wheel from an already prepared directory (used for an unpacked sdist)."""
    with build.env.DefaultIsolatedEnv(installer="uv") as env:
        wheel, failure = _build_one(
            env,
            source_dir,
            "wheel",
            workdir / "dist",
            _CapturingRunner(_Deadline.after(timeout)),
            [],
        )
    return BuildResult(wheel=wheel, failure=failure)


def isolated_env(python: str | None) -> contextlib.AbstractContextManager[BuildEnv]:
    """build's isolated environment (uv installs into it), created from ``python`` when given."""
    if python is None:
        return build.env.DefaultIsolatedEnv(installer="uv")
    return InterpreterEnv(python)


class InterpreterEnv(build.env.IsolatedEnv):
    """An isolated build environment created from a given interpreter: build's own always uses the
    interpreter running it, and an extension module is built for the Python that builds it."""

    def __init__(self, python: str) -> None:
        self._base = python
        self._path: Path | None = None

    def __enter__(self) -> InterpreterEnv:
        from mcheck.wheel.install import find_uv

        uv = find_uv()
        if uv is None:
            raise build.BuildException("uv is needed to build with another interpreter")
        self._uv = uv
        self._path = Path(tempfile.mkdtemp(prefix="mcheck-build-env-"))
        subprocess.run(
            [uv, "venv", "--quiet", "--no-project", "--python", self._base, str(self._path)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)

    @property
    def python_executable(self) -> str:
        assert self._path is not None
        return str(self._path / "bin" / "python")

    def make_extra_environ(self) -> dict[str, str]:
        assert self._path is not None
        return {
            "PATH": os.pathsep.join([str(self._path / "bin"), os.environ.get("PATH", "")]),
            "PYTHONPATH": "",
        }

    def install(self, requirements: Collection[str]) -> None:
        """What build's uv backend does: CalledProcessError with the output when it fails."""
        if not requirements:
            return
        command = [self._uv, "pip", "install", "--python", self.python_executable, *requirements]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["VIRTUAL_ENV"] = str(self._path)
        subprocess.run(command, check=True, capture_output=True, stdin=subprocess.DEVNULL, env=env)


BuildEnv = build.env.DefaultIsolatedEnv | InterpreterEnv


class SourceBuildRequirement(Exception):
    """With ``--sandbox``: a build requirement that would have to be built from source files (a
    local directory, an sdist URL), by uv, outside the sandbox."""


def _install_build_requirements(
    env: BuildEnv, requirements: Collection[str], sandbox: Sandbox | None
) -> None:
    if sandbox is not None:
        for requirement in sorted(requirements):
            url = _direct_url(requirement)
            if url is not None and not url.split("#", 1)[0].endswith(".whl"):
                raise SourceBuildRequirement(
                    f"build requirement {requirement!r} must be built from source, and uv would "
                    "build it outside the sandbox; --sandbox does not install it (use a wheel, "
                    "or run without --sandbox)"
                )
    env.install(requirements)


def _direct_url(requirement: str) -> str | None:
    try:
        return Requirement(requirement).url
    except InvalidRequirement:
        return None


def _build_one(
    env: BuildEnv,
    srcdir: Path,
    stage: BuildStage,
    outdir: Path,
    runner: _CapturingRunner,
    dynamic_requires: list[str],
) -> tuple[Path, None] | tuple[None, BuildFailure]:
    """Build one artifact; what the backend asked for at build time is appended to ``dynamic_requires``
    (part of the build cache's key)."""
    try:
        builder = build.ProjectBuilder.from_isolated_env(env, srcdir, runner=runner)
        _install_build_requirements(env, builder.build_system_requires, runner.sandbox)
        requested = builder.get_requires_for_build(stage)
        dynamic_requires.extend(f"{stage}: {requirement}" for requirement in sorted(requested))
        _install_build_requirements(env, requested, runner.sandbox)
        built = Path(builder.build(stage, outdir))
    except subprocess.CalledProcessError as exc:  # installing build requirements failed
        log = _decode(exc.stdout) + _decode(exc.stderr)
        return None, BuildFailure(
            stage, "could not install the build requirements", _tail(log), srcdir
        )
    except SourceBuildRequirement as exc:
        return None, BuildFailure(stage, str(exc), "", srcdir)
    except build.BuildBackendException as exc:
        return None, BuildFailure(stage, _backend_message(exc), runner.tail(), srcdir)
    except build.BuildException as exc:  # e.g. invalid [build-system] table
        return None, BuildFailure(stage, str(exc), runner.tail(), srcdir)
    unusable = _unusable_output(built, stage)
    if unusable is not None:
        return None, BuildFailure(stage, unusable, runner.tail(), srcdir)
    return built, None


def _unusable_output(path: Path, stage: BuildStage) -> str | None:
    """Why the file a backend says it built cannot be used (PEP 517 only asks it to return a name)."""
    if not path.is_file():
        return f"the build backend reported {path.name} but wrote no such file"
    readable = zipfile.is_zipfile(path) if stage == "wheel" else tarfile.is_tarfile(path)
    return (
        None
        if readable
        else f"the build backend wrote {path.name}, which is not a valid {stage} archive"
    )


def _wait(proc: subprocess.Popen[bytes], deadline: _Deadline) -> None:
    """Wait for the hook to exit, noticing an interrupt of mcheck even outside the main thread;
    raise BuildTimedOut once ``deadline`` has passed."""
    while True:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise BuildTimedOut(deadline.timeout)
        try:
            proc.wait(timeout=min(INTERRUPT_POLL, remaining))
            return
        except subprocess.TimeoutExpired:
            raise_if_interrupted()


class _OutputTail:
    """Reads a hook's output as it comes and keeps only its last ``OUTPUT_TAIL_BYTES``: a backend
    printing hundreds of megabytes costs neither memory nor disk, and the failure report needs the
    end of the log."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the pipe is closed under a lingering read
            while chunk := self._pipe.read1(1 << 16):
                self._chunks.append(chunk)
                self._size += len(chunk)
                while self._size - len(self._chunks[0]) >= OUTPUT_TAIL_BYTES:
                    self._size -= len(self._chunks.popleft())

    def collect(self, grace: float) -> str:
        """What was read, once the pipe closed or ``grace`` seconds passed (a process outside the
        hook's group may hold the pipe open for ever)."""
        self._thread.join(grace)
        return _decode(b"".join(list(self._chunks))[-OUTPUT_TAIL_BYTES:])


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    if os.name == "posix":
        with contextlib.suppress(OSError):  # the group is already empty
            os.killpg(proc.pid, signal.SIGKILL)


def _backend_message(exc: build.BuildBackendException) -> str:
    inner = exc.exception
    if isinstance(inner, BuildTimedOut):
        return str(inner)
    if isinstance(inner, subprocess.CalledProcessError):
        return f"the build backend exited with status {inner.returncode}"
    return str(exc) or type(inner).__name__


def stage_source(project: Project, dest: Path) -> Path:
    """Copy the project's source files to ``dest`` and return the directory to build in.

    Projects built with a VCS plugin (setuptools-scm, hatch-vcs, ...) need the repository: its history
    for the version, its index for the file finder. Projects whose build files reach above the project
    directory (a readme or a ``force-include`` in the parent) need those files where a checkout has
    them. For both, ``dest`` becomes a shared, sparse clone of the repository with the user's
    uncommitted edits laid over it, so the build sees exactly what it sees in the user's checkout.
    """
    if project.stages_from_git and _has_commit(project):
        return _stage_git_checkout(project, dest)
    _copy_files(project.root, dest, project.build_files or project.files)
    return dest


def _stage_git_checkout(project: Project, dest: Path) -> Path:
    assert project.git_root is not None
    subdir = project.root.relative_to(project.git_root).as_posix()
    # --shared borrows the user's object store read-only (alternates): nothing is written to their repo.
    run_git(
        ["clone", "--quiet", "--shared", "--no-checkout", str(project.git_root), str(dest)],
        repo=project.git_root,
    )
    if subdir != ".":
        run_git(
            [
                "sparse-checkout",
                "set",
                "--no-cone",
                *_sparse_patterns(subdir, project),
            ],
            repo=dest,
        )
    run_git(["checkout", "--quiet", "HEAD"], repo=dest)
    staged = dest if subdir == "." else dest / subdir
    staged.mkdir(
        parents=True, exist_ok=True
    )  # a project not committed yet has no directory in HEAD
    # Overlay the working tree (uncommitted edits, untracked-not-ignored files) and drop deleted files.
    for stale in _tracked_files(staged):
        if stale not in set(project.files):
            (staged / stale).unlink(missing_ok=True)
    _copy_files(project.root, staged, project.files, keep_symlinks=True)
    return staged


def _has_commit(project: Project) -> bool:
    """A repository with no commit yet (``git init`` and nothing more) has no HEAD to check out."""
    assert project.git_root is not None
    probe = run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD"], repo=project.git_root, check=False
    )
    return probe.returncode == 0


def _sparse_patterns(subdir: str, project: Project) -> list[str]:
    """The project directory, the files (not directories) of each directory above it (a parent's
    README or version file), and every path above it that the build configuration names."""
    patterns = []
    parts = subdir.split("/")
    for depth in range(len(parts)):
        prefix = "/".join(parts[:depth])
        base = f"/{prefix}/" if prefix else "/"
        patterns += [f"{base}*", f"!{base}*/"]
    return [*patterns, f"/{subdir}/", "/.git*", *(f"/{path}" for path in project.outside_paths)]


def _tracked_files(root: Path) -> list[str]:
    out = run_git(["ls-files", "-z", "--", "."], repo=root)
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _copy_files(
    root: Path, dest: Path, files: Sequence[str], *, keep_symlinks: bool = False
) -> None:
    """Copy ``files`` from ``root`` to ``dest``. With ``keep_symlinks`` (the overlay of a checkout) a
    symlink of the working tree is recreated as the same symlink, as a checkout has it (a backend
    may store it as a link: gitlint's dangling README); a plain file is copied. Nothing is ever
    written through a link that is already in ``dest``."""
    for rel in files:
        source, target = root / rel, _plain_target(dest, rel)
        if keep_symlinks and source.is_symlink():
            target.symlink_to(source.readlink())
        else:
            shutil.copy2(source, target, follow_symlinks=True)


def _plain_target(dest: Path, rel: str) -> Path:
    """``dest / rel``, made safe to write: a symlink on the way (committed in HEAD and checked out
    into the staged clone, where the working tree has a plain file or directory) is removed first,
    so copying the working tree over the checkout never writes through it to outside ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    current = dest
    for part in PurePosixPath(rel).parts[:-1]:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            current.unlink()
        current.mkdir(exist_ok=True)
    target = current / PurePosixPath(rel).name
    if target.is_symlink() or target.is_dir():
        if target.is_symlink():
            target.unlink()
        else:
            shutil.rmtree(target)
    return target


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack ``sdist`` below ``dest`` (tar's ``data`` filter: nothing outside, no devices) and
    return its top directory. UsageError when it is not a readable tar archive."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(sdist) as tf:
            tf.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(f"{sdist}: not a valid sdist ({exc})") from None
    entries = [p for p in dest.iterdir() if p.is_dir()]
    return entries[0] if len(entries) == 1 else dest


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
