"""Stage 3, install: a brand-new venv holding only the wheel and its declared dependencies.

The venv is created by ``uv`` (``virtualenv`` when uv is unavailable), never with system
site-packages. Dependencies are resolved by ``uv pip install`` from uv's configured index (PyPI unless
``UV_DEFAULT_INDEX``/``UV_INDEX``/``uv.toml`` say otherwise); pip's configuration is never read.
Installs compile bytecode, as pip does by default: the probe's children then load each shared module's
``.pyc`` instead of compiling its source again in every child.

Venv cache: resolving and installing the dependencies is most of this stage, and they rarely change
between runs. With ``cache=True`` the dependency set is first resolved (``uv pip compile`` of the wheel
with its extras, for the target interpreter), and a venv holding exactly those pins is kept under
``venvs/`` of :func:`mcheck.cache.cache_dir`, keyed by the interpreter, the pins and uv's version. Each
run then gets its own copy of that venv at ``venv_dir`` and installs only the wheel into the copy
(``--no-deps``): the copy holds the same distributions a fresh install would. The copy's directories
are its own and its files are hard links to the entry's (a tenth of the time of copying thousands
of files); what a run installs or rewrites replaces files rather than writing through the links,
and a run that did write through one (a package patching itself in place) is caught by the
entry's manifest of sizes and mtimes (:func:`verify_links`), which evicts the entry. Entries are
filled with copies, never with links into uv's own cache, so such a write spoils nothing else.
Cache entries are published atomically under a per-key lock (:func:`mcheck.cache.publish_entry`),
so concurrent runs neither see half-built entries nor build the same one twice. Whenever the cache
cannot serve a run (resolution fails, the copy fails ...) the run installs from scratch, so failures
read exactly as without the cache.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from mcheck.cache import cache_dir, evict, file_identity, publish_entry, touch_entry
from mcheck.cache.local_refs import local_reference_digests
from mcheck.cache.resolutions import RESOLUTIONS

__all__ = [
    "InstallFailed",
    "TargetEnv",
    "cache_dir",
    "create_target_env",
    "find_uv",
    "install_into",
    "resolve_requirements",
    "verify_links",
]

INSTALL_LOG_TAIL = 25
CACHE_FORMAT = 2  # bump when the layout of a cache entry changes
ORIGIN_FILE = (
    "origin.txt"  # where the cached venv was created: scripts in its bin/ hard-code that path
)
# Size and mtime of every file of the cached venv when it was made: a run that linked to it
# proves with it that nothing wrote into the shared files (verify_links).
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class TargetEnv:
    path: Path
    python: Path
    # The cached venv whose files this one links to (hard links), if any: see verify_links().
    linked_from: Path | None = None


class InstallFailed(Exception):
    """The wheel could not be installed; ``log_tail`` holds the installer's explanation."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


def find_uv() -> str | None:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def create_target_env(
    wheel: Path,
    venv_dir: Path,
    *,
    python: str | None = None,
    extras: Sequence[str] = (),
    cache: bool = False,
    local_wheels: Sequence[Path] = (),
    pins: Sequence[str] | None = None,
) -> TargetEnv:
    """Create ``venv_dir`` and install ``wheel`` (with ``extras``) and its dependencies into it.

    ``local_wheels`` are the wheels of the repository's own projects ``wheel`` depends on by path:
    installed from those files, so an index is never asked for their names. With ``cache``, the other
    dependencies come from a cached venv with the same resolved dependency set: ``pins`` when this
    run resolved it already (:func:`resolve_dependencies`), else resolved here.
    """
    interpreter = python or sys.executable
    uv = find_uv()
    if cache and uv is not None:
        env = _env_from_cache(uv, wheel, venv_dir, interpreter, extras, local_wheels, pins)
        if env is not None:
            return env
        shutil.rmtree(
            venv_dir, ignore_errors=True
        )  # whatever the attempt left; start over from scratch
    return _fresh_env(uv, wheel, venv_dir, interpreter, extras, local_wheels)


def _fresh_env(
    uv: str | None,
    wheel: Path,
    venv_dir: Path,
    interpreter: str,
    extras: Sequence[str],
    local_wheels: Sequence[Path] = (),
) -> TargetEnv:
    env = _create_venv(uv, venv_dir, interpreter)
    requirement = f"{wheel}[{','.join(extras)}]" if extras else str(wheel)
    requirements = [requirement, *map(str, local_wheels)]
    if uv is not None:
        _uv_install(uv, env, requirements, "install the wheel")
    else:  # pragma: no cover
        _run(
            [str(env.python), "-m", "pip", "install", "--quiet", *requirements], "install the wheel"
        )
    return env


def _uv_install(uv: str, env: TargetEnv, args: Sequence[str], what: str) -> str:
    """``uv pip install`` into ``env``, bytecode compiled as pip does (imports are timed)."""
    command = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(env.python)]
    return _run([*command, *args], what)


def _create_venv(uv: str | None, venv_dir: Path, interpreter: str) -> TargetEnv:
    if uv is not None:
        _run(
            [uv, "venv", "--quiet", "--no-project", "--python", interpreter, str(venv_dir)],
            "create the venv",
        )
    else:  # pragma: no cover - uv is a dependency; this keeps mcheck usable where its binary is missing
        _run(
            [
                sys.executable,
                "-m",
                "virtualenv",
                "--quiet",
                "--no-download",
                "--python",
                interpreter,
                str(venv_dir),
            ],
            "create the venv",
        )
    return TargetEnv(path=venv_dir, python=_venv_python(venv_dir))


def install_into(env: TargetEnv, requirements: Sequence[str], what: str) -> None:
    """Install ``requirements`` (requirement strings, wheel paths) into ``env``; InstallFailed with
    the installer's explanation when they do not install."""
    uv = find_uv()
    if uv is not None:
        _uv_install(uv, env, requirements, what)
    else:  # pragma: no cover
        _run([str(env.python), "-m", "pip", "install", "--quiet", *requirements], what)


# --- the venv cache --------------------------------------------------------------------------------


def _env_from_cache(
    uv: str,
    wheel: Path,
    venv_dir: Path,
    interpreter: str,
    extras: Sequence[str],
    local_wheels: Sequence[Path] = (),
    pins: Sequence[str] | None = None,
) -> TargetEnv | None:
    """A copy of the cached venv for the wheel's resolved dependencies, with the wheel (and the local
    wheels) installed; None when the cache cannot serve this run."""
    try:
        if pins is None:
            pins = resolve_dependencies(
                uv, wheel, interpreter, extras, venv_dir.parent, local_wheels
            )
        key = dependency_key(uv, interpreter, pins)
        if key is None:
            return None
        cached = _cached_venv(uv, key, interpreter, pins)
        try:
            linked = _copy_venv(cached, venv_dir)
            env = TargetEnv(venv_dir, _venv_python(venv_dir), cached.parent if linked else None)
            if not env.python.is_file():
                raise OSError(f"{cached} has no interpreter")
        except OSError:
            evict(cached.parent)  # damaged: the next run builds the entry afresh
            raise
        touch_entry(cached.parent)
        _uv_install(
            uv, env, ["--no-deps", str(wheel), *map(str, local_wheels)], "install the wheel"
        )
    except (InstallFailed, OSError):
        return None
    return env


def resolve_dependencies(
    uv: str,
    wheel: Path,
    interpreter: str,
    extras: Sequence[str],
    scratch: Path,
    local_wheels: Sequence[Path] = (),
) -> list[str]:
    """The pinned dependency set a fresh install of ``wheel[extras]`` (with ``local_wheels``) would
    get, without those wheels themselves. Wheels that declare the same dependencies get the same
    answer: one resolution for them all (:mod:`mcheck.cache.resolutions`)."""

    def resolve() -> list[str]:
        return _resolve_dependencies(uv, wheel, interpreter, extras, scratch, local_wheels)

    declared = [_declared_dependencies(path) for path in (wheel, *local_wheels)]
    if any(d is None for d in declared):
        return resolve()
    request = ("dependencies", uv, interpreter, tuple(extras), tuple(declared))
    return RESOLUTIONS.answer(request, resolve)


def _resolve_dependencies(
    uv: str,
    wheel: Path,
    interpreter: str,
    extras: Sequence[str],
    scratch: Path,
    local_wheels: Sequence[Path],
) -> list[str]:
    requirement = f"{wheel.resolve()}[{','.join(extras)}]" if extras else str(wheel.resolve())
    files = [wheel.resolve(), *(w.resolve() for w in local_wheels)]
    own = tuple(form for f in files for form in (str(f), f.as_uri()))
    requirements = [requirement, *map(str, files[1:])]
    return [
        pin
        for pin in resolve_requirements(uv, requirements, interpreter, scratch)
        if not any(form in pin for form in own)
    ]


def _declared_dependencies(wheel: Path) -> tuple[str, ...] | None:
    """What decides a wheel's resolution but its own name: its Requires-Dist and Requires-Python
    lines, sorted. None when they cannot be read, or name a URL or a path (whose content may change
    under the same line)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next(
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            )
            metadata = archive.read(name).decode("utf-8", "surrogateescape")
    except (OSError, zipfile.BadZipFile, StopIteration, KeyError):
        return None
    headers = metadata.split("\n\n", 1)[0].splitlines()
    requires = sorted(
        line.strip()
        for line in headers
        if line.lower().startswith(("requires-dist:", "requires-python:"))
    )
    return None if any("@" in line for line in requires) else tuple(requires)  # "@": a URL


def resolve_requirements(
    uv: str, requirements: Sequence[str], interpreter: str, scratch: Path
) -> list[str]:
    """The sorted pins ``uv pip compile`` resolves ``requirements`` to for ``interpreter``; InstallFailed when
    they cannot be resolved (e.g. offline). Requirements by name only (build requirements) are
    answered once for every target asking (:mod:`mcheck.cache.resolutions`)."""

    def resolve() -> list[str]:
        return _compile(uv, requirements, interpreter, scratch)

    if any("/" in line or "@" in line or "\\" in line for line in requirements):
        return resolve()  # a file or a URL: its content may change under the same line
    return RESOLUTIONS.answer(("requirements", uv, interpreter, tuple(requirements)), resolve)


def _compile(uv: str, requirements: Sequence[str], interpreter: str, scratch: Path) -> list[str]:
    scratch.mkdir(parents=True, exist_ok=True)
    request = Path(tempfile.mkstemp(prefix="mcheck-requirements-", suffix=".in", dir=scratch)[1])
    try:
        request.write_text("".join(f"{line}\n" for line in requirements), "utf-8")
        output = _run(
            [
                uv,
                "pip",
                "compile",
                "--quiet",
                "--no-header",
                "--no-annotate",
                "--python",
                interpreter,
                str(request),
            ],
            "resolve the dependencies",
        )
    finally:
        request.unlink(missing_ok=True)
    lines = (line.strip() for line in output.splitlines())
    return sorted(line for line in lines if line and not line.startswith("#"))


def dependency_key(uv: str, interpreter: str, pins: Sequence[str]) -> str | None:
    """The cache key: what a venv's contents depend on (the interpreter binary, uv, the pins, and
    the content of every local file or directory a pin refers to: ``dep @ file:///...`` edited
    without a version bump is a new key). None when a local reference is too large to key."""
    local = local_reference_digests(pins)
    if local is None:
        return None
    identity = {
        "format": CACHE_FORMAT,
        "platform": sys.platform,
        "pins": list(pins),
        "local": local,
        "python": file_identity(shutil.which(interpreter) or interpreter),
        "uv": file_identity(uv),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


def prefetch_dependencies(
    pkg_info: str, scratch: Path, *, python: str | None = None, extras: Sequence[str] = ()
) -> None:
    """Fill the venv cache for the dependencies an sdist's PKG-INFO declares, while its wheel is
    still being built: the install stage then finds the entry ready. Only where the metadata is
    final (Metadata-Version 2.2+ and neither Requires-Dist nor Requires-Python dynamic, PEP 643):
    the wheel then declares the same, so it resolves to the same pins and key. Never raises: a
    prefetch that cannot run costs the time it would have saved, nothing else."""
    uv = find_uv()
    stand_in = _metadata_wheel(pkg_info, scratch) if uv is not None else None
    if uv is None or stand_in is None:
        return
    interpreter = python or sys.executable
    try:
        pins = resolve_dependencies(uv, stand_in, interpreter, extras, scratch)
        key = dependency_key(uv, interpreter, pins)
        if key is not None:
            _cached_venv(uv, key, interpreter, pins)
    except (InstallFailed, OSError):
        return


def _metadata_wheel(pkg_info: str, scratch: Path) -> Path | None:
    """A wheel holding nothing but ``pkg_info`` as its METADATA (what a resolver reads of a wheel),
    or None when that metadata may still change in the wheel."""
    message = email.parser.HeaderParser().parsestr(pkg_info)
    dynamic = {value.strip().lower() for value in message.get_all("Dynamic") or ()}
    try:
        major, minor = (int(part) for part in str(message["Metadata-Version"]).split(".")[:2])
        name, version = canonicalize_name(message["Name"]), Version(message["Version"])
    except (TypeError, ValueError):
        return None
    if (major, minor) < (2, 2) or dynamic & {"requires-dist", "requires-python"}:
        return None
    stem = f"{name.replace('-', '_')}-{version}"
    path = scratch / f"{stem}-py3-none-any.whl"
    scratch.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{stem}.dist-info/METADATA", pkg_info)
        archive.writestr(
            f"{stem}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: mcheck\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{stem}.dist-info/RECORD", "")
    return path


def _cached_venv(uv: str, key: str, interpreter: str, pins: Sequence[str]) -> Path:
    """The cached venv for ``key``, built first if missing. Entries are never modified once in place."""
    entry = cache_dir() / "venvs" / key
    if not (entry / "venv").is_dir():
        publish_entry(
            entry,
            lambda staging: _fill_entry(uv, staging, interpreter, pins),
            complete=lambda path: (path / "venv").is_dir(),
        )
    return entry / "venv"


def _fill_entry(uv: str, staging: Path, interpreter: str, pins: Sequence[str]) -> None:
    env = _create_venv(uv, staging / "venv", interpreter)
    if pins:
        (staging / "requirements.txt").write_text("\n".join(pins) + "\n", "utf-8")
        # Copies, not uv's default hard links into its own cache: runs link to this entry, and a
        # file one of them wrote through must spoil this entry only (evicted), never uv's cache.
        requirements = ["--link-mode", "copy", "-r", str(staging / "requirements.txt")]
        _uv_install(uv, env, requirements, "install the dependencies")
    (staging / ORIGIN_FILE).write_text(str(staging / "venv"), "utf-8")
    (staging / MANIFEST_FILE).write_text(json.dumps(_file_states(staging / "venv")), "utf-8")


def _copy_venv(cached: Path, venv_dir: Path) -> bool:
    """Make ``venv_dir`` a copy of the cached venv, its files hard links to the entry's where the
    entry has a manifest to verify them with (True), and point its scripts (shebangs, activate) at
    the copy: rewritten as new files, so the links to the entry's scripts are broken, not written
    through."""
    origin = (cached.parent / ORIGIN_FILE).read_text("utf-8").encode()
    linked = (cached.parent / MANIFEST_FILE).is_file() and _link_tree(cached, venv_dir)
    if not linked:
        _copy_tree(cached, venv_dir)
    for script in (venv_dir / ("Scripts" if os.name == "nt" else "bin")).iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        content = script.read_bytes()
        if origin in content:
            _replace_file(script, content.replace(origin, str(venv_dir).encode()))
    return linked


def verify_links(env: TargetEnv) -> bool:
    """After a run that linked ``env`` to a cached venv: False (and the entry evicted) when a file of
    the entry no longer has the size and mtime it was made with, i.e. something the run imported or
    installed wrote into a shared file instead of replacing it. The next run builds the entry
    afresh; this one's own results stand (it saw its own writes, as an unlinked copy would)."""
    if env.linked_from is None:
        return True
    try:
        made = json.loads((env.linked_from / MANIFEST_FILE).read_text("utf-8"))
        intact = _file_states(env.linked_from / "venv") == made
    except (OSError, ValueError):
        intact = False
    if not intact:
        evict(env.linked_from)
    return intact


def _file_states(venv: Path) -> dict[str, list[int]]:
    states = {}
    for path in venv.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            states[path.relative_to(venv).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return states


def _replace_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file renamed over ``path`` (mode kept): never through a link."""
    temporary = path.with_name(f".{path.name}.mcheck-tmp")
    temporary.write_bytes(content)
    shutil.copymode(path, temporary)
    temporary.replace(path)


def _link_tree(source: Path, dest: Path) -> bool:
    """``dest`` as a tree of directories of hard links to ``source``'s files (GNU ``cp -al``: a
    venv of thousands of files in a tenth of the time of a copy); False where links cannot be made
    (another file system, no GNU cp), nothing left behind."""
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    cp = shutil.which("cp")
    if not sys.platform.startswith("linux") or cp is None:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [cp, "-al", "--", str(source), str(dest)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
    return done.returncode == 0


def _copy_tree(source: Path, dest: Path) -> None:
    """A real copy: for cache entries made before they had a manifest, and where links cannot be
    made. GNU ``cp -a`` is about 4x faster than :func:`shutil.copytree` on a venv of thousands of
    small files, and clones blocks where the file system can (``--reflink=auto``)."""
    if dest.exists():  # as shutil.copytree; `cp -a` would copy into it instead
        raise FileExistsError(f"{dest} already exists")
    cp = shutil.which("cp")
    if sys.platform.startswith("linux") and cp is not None:
        done = subprocess.run(
            [cp, "-a", "--reflink=auto", "--", str(source), str(dest)],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if done.returncode == 0:
            return
        shutil.rmtree(dest, ignore_errors=True)  # whatever cp managed before failing
    shutil.copytree(source, dest, symlinks=True)


# --- helpers -----------------------------------------------------------------------------------------


def _venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":  # pragma: no cover
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def _run(cmd: list[str], what: str) -> str:
    """Run an installer command; its stdout, or InstallFailed with the tail of its output."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["UV_PYTHON_DOWNLOADS"] = (
        "never"  # use the interpreter we were given, never fetch another one
    )
    proc = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False
    )
    if proc.returncode:
        output = (proc.stdout + proc.stderr).rstrip().splitlines()
        raise InstallFailed(f"could not {what}", "\n".join(output[-INSTALL_LOG_TAIL:]))
    return proc.stdout
