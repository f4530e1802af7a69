"""Settings: ``[tool.mcheck]`` in ``pyproject.toml`` or ``mcheck.toml``, overridden by the command line.

Every setting has one name (the TOML key; the CLI flag and the API keyword use the same name with
``-`` spelled ``_``). Unknown keys and unknown codes are bad input (exit 2) with the nearest valid name
suggested, so a typo never silently disables a check.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mcheck.catalogue import CATALOGUE, codes_matching
from mcheck.errors import UsageError
from mcheck.findings import Finding, Severity
from mcheck.wheel.discover import read_pyproject


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # codes or prefixes; empty means every code
    ignore: tuple[str, ...] = ()
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # glob -> codes
    fail_on: Severity = Severity.ERROR
    extras: tuple[str, ...] = ()
    timeout: float = 30.0
    asgi: tuple[str, ...] = ()
    health: str | None = None
    python: str | None = None
    cache: bool = True  # reuse cached venvs and build artifacts (mcheck.wheel.install, mcheck.cache.builds)
    build_timeout: float = 600.0  # seconds the build backend may take for the sdist and the wheel together
    # Where each given setting came from (COMMAND_LINE or the file's origin), for labels in reports.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def came_from_command_line(self, name: str) -> bool:
        return self.sources.get(name) == COMMAND_LINE

    def is_enabled(self, code: str) -> bool:
        selected = not self.select or any(code.startswith(s) for s in self.select)
        return selected and not any(code.startswith(s) for s in self.ignore)

    def keeps(self, finding: Finding) -> bool:
        if not self.is_enabled(finding.code):
            return False
        return not any(_path_matches(finding.path, pattern) and any(finding.code.startswith(c) for c in codes)
                       for pattern, codes in self.per_path_ignores.items())


COMMAND_LINE = "command line"
SETTING_NAMES = tuple(f.name.replace("_", "-") for f in fields(Settings) if f.name != "sources")


def load_file_settings(directory: Path | None) -> tuple[dict[str, Any], str | None]:
    """Raw settings from ``mcheck.toml`` (preferred) or ``[tool.mcheck]``, and where they came from."""
    if directory is None:
        return {}, None
    dedicated = directory / "mcheck.toml"
    if dedicated.is_file():
        return read_pyproject(dedicated), str(dedicated)
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        table = read_pyproject(pyproject).get("tool", {}).get("mcheck")
        if isinstance(table, dict):
            return table, f"{pyproject} [tool.mcheck]"
    return {}, None


def resolve_settings(file_values: Mapping[str, Any], cli_values: Mapping[str, Any],
                     origin: str | None = None) -> Settings:
    """File settings overridden by every CLI/API value that is not None. Each source is validated on its
    own, so an error names the place the bad value came from."""
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, values in ((origin or "configuration", file_values), (COMMAND_LINE, cli_values)):
        given: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("_", "-")
            if name not in SETTING_NAMES:
                raise UsageError(f"{source}: unknown setting {key!r}{_did_you_mean(name, SETTING_NAMES)}")
            if value is not None:
                given[name.replace("-", "_")] = value
        validated = _validated(given, source)
        merged.update(validated)
        sources.update(dict.fromkeys(validated, source))
    return Settings(**merged, sources=sources)


def _validated(values: dict[str, Any], origin: str) -> dict[str, Any]:
    """The given values, type-checked and normalised; only the keys that were given."""
    def as_tuple(value: Any) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    out: dict[str, Any] = {}
    for key in ("select", "ignore", "extras", "asgi"):
        if key in values:
            out[key] = as_tuple(values[key])
    for key in ("select", "ignore"):
        if key in out:
            out[key] = tuple(_check_code(c, origin) for c in out[key])
    if "per_path_ignores" in values:
        out["per_path_ignores"] = {glob: tuple(_check_code(c, origin) for c in as_tuple(codes))
                                   for glob, codes in dict(values["per_path_ignores"]).items()}
    if "fail_on" in values:
        if values["fail_on"] not in ("error", "warning"):
            raise UsageError(f"{origin}: fail-on must be 'error' or 'warning', not {values['fail_on']!r}")
        out["fail_on"] = Severity(values["fail_on"])
    for key in ("timeout", "build_timeout"):
        if key in values:
            out[key] = _seconds(values[key], key, origin)
    for key in ("health", "python"):
        if key in values:
            out[key] = str(values[key])
    if "cache" in values:
        if not isinstance(values["cache"], bool):
            raise UsageError(f"{origin}: cache must be true or false, not {values['cache']!r}")
        out["cache"] = values["cache"]
    return out


def _seconds(value: Any, key: str, origin: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:  # also rejects NaN
        raise UsageError(f"{origin}: {key.replace('_', '-')} must be a positive number of seconds, not {value!r}")
    return seconds


def _check_code(selector: str, origin: str) -> str:
    selector = str(selector).strip().upper()
    if not codes_matching(selector):
        raise UsageError(f"{origin}: unknown code {selector!r}{_did_you_mean(selector, list(CATALOGUE))}")
    return selector


def _did_you_mean(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _path_matches(path: str | None, pattern: str) -> bool:
    if path is None:
        return False
    candidates = {path, path.replace(".", "/")}
    return any(fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, pattern.rstrip("/") + "/*")
               for c in candidates)
