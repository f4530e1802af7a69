"""Whether a wheel can be installed by the target interpreter on this machine (its tags).

A wheel for another platform or Python (``cp38-win_amd64`` on Linux) is not broken: it is checked for
its contents and metadata and reported as MC607, never installed (which could only fail, as MC002).
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache

from packaging import tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

_IDENTITY = "import sys; print(sys.implementation.name, *sys.version_info[:2])"


def foreign_tags(file_name: str, interpreter: str | None) -> tuple[str, ...] | None:
    """The wheel's tags when none of them is supported by ``interpreter`` here; None when the wheel
    installs here (or when that cannot be told: let the installer decide)."""
    try:
        _, _, _, wheel_tags = parse_wheel_filename(file_name)
    except InvalidWheelFilename:
        return None
    supported = supported_tags(interpreter or sys.executable)
    if supported is None or wheel_tags & supported:
        return None
    return tuple(sorted(map(str, wheel_tags)))


@cache
def supported_tags(interpreter: str) -> frozenset[tags.Tag] | None:
    if interpreter == sys.executable:
        return frozenset(tags.sys_tags())
    try:
        said = subprocess.run(
            [interpreter, "-I", "-c", _IDENTITY],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    if len(said) != 3 or said[0] != "cpython":
        return None  # another implementation: its tags are not derived here
    version = (int(said[1]), int(said[2]))
    platforms = list(tags.platform_tags())  # the same machine: the same platforms
    return frozenset(
        [
            *tags.cpython_tags(python_version=version, platforms=platforms),
            *tags.compatible_tags(
                python_version=version,
                interpreter=f"cp{version[0]}{version[1]}",
                platforms=platforms,
            ),
        ]
    )
