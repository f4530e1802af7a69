"""Which Python the service runs, and which installed interpreter stands in for it.

Input: the reconstructed runtime (its final base image) and the service directory. Output: a
:class:`ServicePython`: the interpreter to import the start target with (None: mcheck's own), what
to say about it, and an MC004 info when the service's Python is not installed here and the nearest
one was used. Where the version is read, first hit wins: the Dockerfile's base image tag, then the
platform settings (railpack.json ``packages.python``, nixpacks.toml ``NIXPACKS_PYTHON_VERSION``),
then ``.python-version`` and ``runtime.txt``, then ``requires-python`` of the service's project.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mcheck.deploy.model import Runtime
from mcheck.findings import Finding
from mcheck.interpreters import Interpreter, installed_interpreters, own_interpreter
from mcheck.knowledge.conventions import (
    PYTHON_IMAGE_TAGS,
    PYTHON_VERSION_FILES,
    PYTHON_VERSION_SETTINGS,
)
from mcheck.smallfiles import read_small_text


@dataclass(frozen=True)
class ServicePython:
    python: str | None  # the interpreter's path; None: mcheck's own
    said: str  # for -v: which Python, and why
    finding: Finding | None = None  # MC004 when the service's own Python is not installed here


def service_python_version(runtime: Runtime, service: Path) -> tuple[str, str] | None:
    """``(version, where it was read)`` of the Python the service runs, when something names one."""
    image = runtime.base_image or ""
    for pattern in PYTHON_IMAGE_TAGS:
        match = re.search(pattern, image)
        if match:
            return match.group(1), f"the Dockerfile's base image {image}"
    for name, keys in PYTHON_VERSION_SETTINGS:
        value = _setting(service / name, keys)
        match = re.match(r"^\s*(3\.\d+)", value) if isinstance(value, str) else None
        if match:
            return match.group(1), f"{name} {'.'.join(keys)}"
    for name, pattern in PYTHON_VERSION_FILES:
        match = re.search(pattern, _text(service / name), re.MULTILINE)
        if match:
            return match.group(1), name
    return None


def choose_service_python(
    runtime: Runtime, service: Path, inventory=installed_interpreters
) -> ServicePython:
    """The interpreter standing in for the service's: its own version when installed, else the
    nearest installed one (and MC004 says so); with only ``requires-python`` to go by, mcheck's
    own when admitted, else the newest installed that is."""
    declared = service_python_version(runtime, service)
    if declared is None:
        return _from_requires_python(service, inventory)
    version, source = declared
    wanted = tuple(int(part) for part in version.split("."))
    installed = [i for i in inventory() if i.implementation == "cpython"]
    exact = [i for i in installed if i.minor == wanted]
    if exact:
        return ServicePython(exact[-1].path, f"importing with Python {version} ({source})")
    nearest = _nearest(installed, wanted)
    if nearest is None:
        return ServicePython(None, f"the service runs Python {version} ({source}): none installed")
    finding = Finding(
        "MC004",
        path=None,  # the message names the file and the setting the version came from
        message=f"the service runs Python {version} ({source}), which is not installed here: "
        f"its start target was imported with Python {nearest.label}, the nearest installed",
        hint=f"install Python {version} (uv python install {version}, pyenv install {version}) "
        "to check with the interpreter the service really runs",
    )
    return ServicePython(nearest.path, finding.message, finding)


def _from_requires_python(service: Path, inventory) -> ServicePython:
    requires = _setting(service / "pyproject.toml", ("project", "requires-python"))
    try:
        spec = SpecifierSet(requires) if isinstance(requires, str) else None
    except InvalidSpecifier:
        spec = None
    own = own_interpreter()
    if spec is None or spec.contains(own.full_version, prereleases=True):
        return ServicePython(None, "importing with mcheck's own Python")
    admitted = [
        i
        for i in inventory()
        if i.implementation == "cpython" and spec.contains(i.full_version, prereleases=True)
    ]
    if not admitted:
        return ServicePython(None, f"requires-python {requires} admits no installed interpreter")
    newest = max(admitted)
    return ServicePython(
        newest.path,
        f"importing with Python {newest.label}, the newest installed that the service's "
        f"requires-python {requires} admits",
    )


def _nearest(installed: list[Interpreter], wanted: tuple[int, ...]) -> Interpreter | None:
    """The installed minor release closest to ``wanted``; of two as close, the newer."""
    if not installed:
        return None
    return min(installed, key=lambda i: (abs(i.minor[1] - wanted[1]), -i.minor[1]))


def _setting(path: Path, keys: tuple[str, ...]) -> Any:
    """The value at ``keys`` in a small JSON or TOML file, None when it is not there or unreadable."""
    text = _text(path)
    if not text:
        return None
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError):
        return None  # MC503 reports a deploy file that does not parse
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(path: Path) -> str:
    try:
        return read_small_text(path) if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return ""
