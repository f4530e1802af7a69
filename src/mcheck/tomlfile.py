"""Reading a TOML file (``pyproject.toml``, ``mcheck.toml``) as bad input says it: one line, the file,
and tomllib's line and column. Shared by project discovery and the settings, which sit below it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mcheck.errors import UsageError
from mcheck.smallfiles import SOURCE_FILE_LIMIT, read_small_text


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_small_text(path, limit=SOURCE_FILE_LIMIT))
    except RecursionError:
        raise UsageError(f"{path}: malformed TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise UsageError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        line = exc.object[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}: malformed TOML: not UTF-8 (at line {line})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
