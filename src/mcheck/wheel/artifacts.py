"""Read-only models of built artifacts: what a wheel and an sdist contain.

Everything downstream (diff, static analysis, probe planning) works on these models, never on the
zip or tar files directly.
"""

from __future__ import annotations

import email.parser
import re
import stat
import tarfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.errors import UsageError

# Suffixes under which a file is an importable module once installed.
MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")

# Bounds on what is read into memory from an archive: a few hundred compressed bytes can claim
# gigabytes. Core metadata beyond this is not a real wheel's; a source file beyond it is data, which
# static analysis skips (the import probe still imports it).
METADATA_READ_LIMIT = 16 * 1024 * 1024
SOURCE_READ_LIMIT = 16 * 1024 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class UnsafeMember:
    """A zip entry an installer must not extract as named (pip refuses the wheel; uv drops it)."""

    name: str
    reason: str


@dataclass(frozen=True)
class WheelContents:
    """The files of a wheel as they land in site-packages, plus its core metadata."""

    path: Path
    dist_info: str
    members: tuple[str, ...]
    metadata_text: str
    entry_points_text: str = ""
    unsafe_members: tuple[UnsafeMember, ...] = ()

    @classmethod
    def read(cls, path: Path) -> WheelContents:
        try:
            with zipfile.ZipFile(path) as zf:
                _verify_data(zf, path)
                unsafe = tuple(_unsafe_members(zf.infolist()))
                members = tuple(n for n in zf.namelist() if not n.endswith("/"))
                tops = {n.split("/", 1)[0] for n in members}
                dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
                if len(dist_infos) != 1:
                    raise UsageError(
                        f"{path}: not a valid wheel (expected one .dist-info directory, "
                        f"found {len(dist_infos)})"
                    )
                dist_info = dist_infos[0]
                metadata = _read_member(zf, f"{dist_info}/METADATA")
                if metadata is None:
                    raise UsageError(f"{path}: not a valid wheel ({dist_info}/METADATA is missing)")
                entry_points = _read_member(zf, f"{dist_info}/entry_points.txt") or ""
        except (zipfile.BadZipFile, OSError) as exc:
            raise UsageError(f"{path}: not a valid wheel ({exc})") from None
        return cls(
            path=path,
            dist_info=dist_info,
            members=members,
            metadata_text=metadata,
            entry_points_text=entry_points,
            unsafe_members=unsafe,
        )

    @cached_property
    def format_problems(self) -> list[tuple[str, str]]:
        """(subject, problem) for the file name, the WHEEL file and the zip structure (MC604)."""
        from mcheck.wheel.archive_rules import wheel_format_problems

        return wheel_format_problems(self)

    @property
    def installable(self) -> bool:
        """False when an installer must not be given it: an entry outside site-packages, or a
        name, WHEEL file or zip structure installers refuse or read differently (MC604)."""
        return not self.unsafe_members and not self.format_problems

    # --- metadata -------------------------------------------------------------------------------

    @cached_property
    def _metadata(self):
        return email.parser.Parser().parsestr(self.metadata_text, headersonly=True)

    @property
    def name(self) -> str:
        return str(self._metadata["Name"])

    @property
    def version(self) -> str:
        return str(self._metadata["Version"])

    @property
    def requires_python(self) -> str | None:
        return self._metadata["Requires-Python"]

    @cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        reqs = []
        for raw in self._metadata.get_all("Requires-Dist") or []:
            try:
                reqs.append(Requirement(raw))
            except InvalidRequirement:
                continue
        return tuple(reqs)

    @property
    def extras(self) -> tuple[str, ...]:
        return tuple(self._metadata.get_all("Provides-Extra") or [])

    @cached_property
    def runtime_requirements(self) -> tuple[Requirement, ...]:
        """Requirements installed by a plain ``pip install name`` on this interpreter (no extras)."""
        return tuple(r for r in self.requirements if r.marker is None or _marker_holds(r, extra=""))

    def extra_requirements(self) -> dict[str, str]:
        """Canonical distribution name -> the first extra that pulls it in (only for optional ones)."""
        runtime = {canonicalize_name(r.name) for r in self.runtime_requirements}
        found: dict[str, str] = {}
        for extra in self.extras:
            for req in self.requirements:
                name = canonicalize_name(req.name)
                if (
                    name not in runtime
                    and req.marker is not None
                    and _marker_holds(req, extra=extra)
                ):
                    found.setdefault(name, extra)
        return found

    def extras_named_after_their_distribution(self) -> dict[str, str]:
        """Canonical distribution name -> the extra of the same name that requires it
        (``eventlet = ["eventlet>=0.32; python_version < '3.10'"]``), whatever other markers say:
        a module named so is that extra's integration, on the interpreters the extra serves."""
        extras = {canonicalize_name(extra): extra for extra in self.extras}
        return {
            name: extras[name]
            for req in self.requirements
            if (name := canonicalize_name(req.name)) in extras
            and req.marker is not None
            and "extra" in str(req.marker)
        }

    # --- files ----------------------------------------------------------------------------------

    @cached_property
    def installed_files(self) -> dict[str, str]:
        """Path as installed in site-packages -> member name in the zip.

        ``name.data/purelib/x`` and ``name.data/platlib/x`` install to ``x``; other ``.data`` schemes
        (scripts, headers, data) do not land on ``sys.path`` and are left out.
        """
        data_dir = self.dist_info[: -len(".dist-info")] + ".data"
        files: dict[str, str] = {}
        for member in self.members:
            top, _, rest = member.partition("/")
            if top == self.dist_info:
                continue
            if top == data_dir:
                scheme, _, inner = rest.partition("/")
                if scheme in ("purelib", "platlib") and inner:
                    files[inner] = member
                continue
            files[member] = member
        return files

    @cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module name -> installed path, for every importable ``.py`` file and extension."""
        found: dict[str, str] = {}
        for installed in sorted(self.installed_files):
            name = module_name_for(installed)
            if name is not None:
                found.setdefault(name, installed)
        return found

    @cached_property
    def top_level_names(self) -> tuple[str, ...]:
        """Import names the wheel puts at the top of site-packages (packages and single modules)."""
        names = set()
        for installed in self.installed_files:
            first = installed.split("/", 1)[0]
            if "/" in installed or first.endswith(MODULE_SUFFIXES):
                names.add(first.split(".", 1)[0] if "/" not in installed else first)
        return tuple(sorted(n for n in names if n.isidentifier()))

    def read_member(self, member: str) -> str:
        """The text of the zip entry ``member`` (KeyError when absent), bounded like METADATA."""
        with zipfile.ZipFile(self.path) as zf:
            text = _read_member(zf, member)
        if text is None:
            raise KeyError(member)
        return text

    def read_bytes(self, installed_path: str) -> bytes:
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.installed_files[installed_path])

    def read_sources(self) -> dict[str, str]:
        """Installed path -> decoded source for every ``.py`` file (undecodable files skipped)."""
        sources = {}
        with zipfile.ZipFile(self.path) as zf:
            for installed, member in self.installed_files.items():
                if installed.endswith(".py") and _size(zf, member) <= SOURCE_READ_LIMIT:
                    try:
                        sources[installed] = zf.read(member).decode("utf-8")
                    except UnicodeDecodeError:
                        continue
        return sources

    @property
    def entry_points(self) -> dict[str, dict[str, str]]:
        groups: dict[str, dict[str, str]] = {}
        current = None
        for raw in self.entry_points_text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = groups.setdefault(line[1:-1].strip(), {})
            elif current is not None and "=" in line:
                key, _, value = line.partition("=")
                current[key.strip()] = value.strip()
        return groups


@dataclass(frozen=True)
class SdistContents:
    """The files of an sdist, relative to its top directory (``name-1.0/``)."""

    path: Path
    files: frozenset[str] = field(default_factory=frozenset)
    pkg_info_text: str = ""  # the top directory's PKG-INFO (core metadata), "" when absent

    @classmethod
    def read(cls, path: Path) -> SdistContents:
        try:
            with tarfile.open(path) as tf:
                members = [m for m in tf.getmembers() if m.isfile()]
                pkg_info = _pkg_info(tf, members)
        except (tarfile.TarError, OSError) as exc:
            raise UsageError(f"{path}: not a valid sdist ({exc})") from None
        files = frozenset(m.name.split("/", 1)[1] for m in members if "/" in m.name)
        return cls(path=path, files=files, pkg_info_text=pkg_info)


def _pkg_info(tf: tarfile.TarFile, members: list[tarfile.TarInfo]) -> str:
    top_level = [m for m in members if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
    # The last one: unpacking a tar with a name twice leaves the last (hatchling, building an sdist
    # from an unpacked sdist, adds its own PKG-INFO after the old one).
    if not top_level or top_level[-1].size > METADATA_READ_LIMIT:
        return ""
    handle = tf.extractfile(top_level[-1])
    return handle.read().decode("utf-8", errors="replace") if handle is not None else ""


def module_name_for(installed_path: str) -> str | None:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``; ``m.cpython-311-x86_64-linux-gnu.so``
    -> ``m``. None for non-modules and paths that cannot be imported (``__main__``, non-identifiers)."""
    path = PurePosixPath(installed_path)
    if path.suffix not in (".py", ".so", ".pyd"):
        return None
    stem = path.name.split(".", 1)[0]
    parts = [*path.parent.parts, stem] if stem != "__init__" else list(path.parent.parts)
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _read_member(zf: zipfile.ZipFile, name: str) -> str | None:
    try:
        size = _size(zf, name)
    except KeyError:
        return None
    if size > METADATA_READ_LIMIT:
        raise UsageError(
            f"{zf.filename}: not a valid wheel ({name} is {size / 1e6:.0f} MB uncompressed; "
            f"mcheck reads at most {METADATA_READ_LIMIT // 2**20} MiB of metadata)"
        )
    return zf.read(name).decode("utf-8", errors="replace")


def _size(zf: zipfile.ZipFile, name: str) -> int:
    """The uncompressed size the entry declares; zipfile never inflates an entry beyond it."""
    return zf.getinfo(name).file_size


def _verify_data(zf: zipfile.ZipFile, path: Path) -> None:
    """Every entry inflates and matches its CRC (streamed, never held in memory): a damaged wheel is
    bad input here, not a crash in a later stage."""
    try:
        damaged = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise UsageError(f"{path}: not a valid wheel (damaged data: {exc})") from None
    if damaged is not None:
        raise UsageError(f"{path}: not a valid wheel ({damaged}: bad CRC-32, the data is damaged)")


def _unsafe_members(infos: list[zipfile.ZipInfo]) -> list[UnsafeMember]:
    counts = Counter(info.filename for info in infos)
    twice = "appears more than once (installers may install either copy)"
    unsafe = [UnsafeMember(name, twice) for name, n in counts.items() if n > 1]
    for info in infos:
        reason = _unsafe_reason(info)
        if reason is not None:
            unsafe.append(UnsafeMember(info.filename, reason))
    return unsafe


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path (pip refuses to install the wheel)"
    if ".." in re.split(r"[/\\]", name):
        return "climbs out of the install directory with '..' (pip refuses to install the wheel)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link (installers write it as a plain file or skip it)"
    return None


def _marker_holds(req: Requirement, *, extra: str) -> bool:
    if req.marker is None:
        return True
    try:
        return req.marker.evaluate({"extra": extra})
    except Exception:  # an unknown marker variable: treat as not applying here
        return False
