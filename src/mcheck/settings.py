"""Settings: ``[tool.mcheck]`` in ``pyproject.toml`` or ``mcheck.toml``, overridden by the command line.

Every setting has one name (the TOML key; the CLI flag and the API keyword use the same name with
``-`` spelled ``_``). Unknown keys and unknown codes are bad input (exit 2) with the nearest valid name
suggested, so a typo never silently disables a check.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcheck.catalogue import CATALOGUE, codes_matching
from mcheck.errors import UsageError
from mcheck.findings import Finding, Severity
from mcheck.tomlfile import read_toml


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
    python: tuple[str, ...] = ()  # interpreter requests: 3.12, a path, or "supported"
    cache: bool = (
        True  # reuse cached venvs and build artifacts (mcheck.wheel.install, mcheck.cache.builds)
    )
    release: bool = False  # the release gate (MC605)
    build_timeout: float = (
        600.0  # seconds the build backend may take for the sdist and the wheel together
    )
    env_file: str | None = None  # deploy: a dotenv file of the variables the host gives the service
    tests: str | None = None  # run the project's tests: "both" (wheel and checkout), "wheel-only"
    tests_path: tuple[str, ...] = ()  # project-relative test files or directories
    tests_timeout: float = 900.0  # seconds each run of the suite may take
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
        return not any(
            _path_matches(finding.path, pattern) and any(finding.code.startswith(c) for c in codes)
            for pattern, codes in self.per_path_ignores.items()
        )


COMMAND_LINE = "command line"

Kind = Literal["codes", "names", "path-codes", "fail-on", "seconds", "text", "switch", "tests-mode"]


@dataclass(frozen=True)
class Setting:
    """The one declaration of a setting: the ``[tool.mcheck]`` key, the value's kind, the default,
    the help text and the CLI flag. The validation of every source, the CLI's help texts and the
    README's table come from :data:`SETTINGS`; tests check the CLI options and :class:`Settings`
    against it."""

    name: str  # the TOML key; the API keyword is the same with "_" for "-"
    kind: Kind
    default: Any
    help: str
    flag: str | None  # the CLI option, with the same name; None when only a file sets it
    commands: tuple[str, ...] = ("wheel",)

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


BOTH = ("wheel", "deploy")
SETTINGS: tuple[Setting, ...] = (
    Setting("select", "codes", (), "Only these codes or prefixes (MC1, MC202).", "--select", BOTH),
    Setting("ignore", "codes", (), "Never report these codes or prefixes.", "--ignore", BOTH),
    Setting(
        "per-path-ignores",
        "path-codes",
        {},
        "Never report these codes for paths matching a glob: GLOB:CODE,CODE (repeatable).",
        "--per-path-ignores",
        BOTH,
    ),
    Setting(
        "fail-on",
        "fail-on",
        Severity.ERROR,
        "Exit 1 on 'error' (default) or also on 'warning'.",
        "--fail-on",
        BOTH,
    ),
    Setting("extras", "names", (), "Install these extras before probing.", "--extras"),
    Setting(
        "timeout",
        "seconds",
        30.0,
        "Seconds each module's import (deploy: the start target's "
        "import and the app probe) may take.",
        "--timeout",
        BOTH,
    ),
    Setting("asgi", "names", (), "ASGI app MODULE:ATTR to import and start.", "--asgi"),
    Setting("health", "text", None, "Health path that must answer 2xx.", "--health"),
    Setting(
        "python",
        "names",
        (),
        "Interpreter(s) to import with: a version (3.12), a path, or 'supported' (every "
        "installed one requires-python admits); repeatable for wheel. Default: mcheck's own, "
        "else the newest installed that requires-python admits.",
        "--python",
        BOTH,
    ),
    Setting(
        "cache",
        "switch",
        True,
        "Reuse cached venvs (same resolved dependencies) and build artifacts (same build inputs), "
        "and replay the report of an unchanged target (same files, artifacts, resolved "
        "dependencies, interpreters and settings).",
        "--cache/--no-cache",
    ),
    Setting(
        "release",
        "switch",
        False,
        "The release gate: also what the index refuses only at upload (local versions, MC605).",
        "--release/--no-release",
    ),
    Setting(
        "build-timeout",
        "seconds",
        600.0,
        "Seconds the build backend may take for the sdist and the wheel together.",
        "--build-timeout",
    ),
    Setting(
        "env-file",
        "text",
        None,
        "A dotenv file (KEY=VALUE lines) of the variables the host gives the service: its start "
        "target is imported with them. Relative: in a configuration file, to that file's directory; "
        "on the command line, to the current directory, then the service's.",
        "--env-file",
        ("deploy",),
    ),
    Setting(
        "tests",
        "tests-mode",
        None,
        "Also run the project's pytest suite against the installed wheel and on the checkout, and "
        "report the tests that fail only against the wheel (MC701-MC703); 'wheel-only' skips the "
        "checkout run, 'off' none (a bare --tests is 'both'). Pytest arguments go after `--`.",
        "--tests",
    ),
    Setting(
        "tests-path",
        "names",
        (),
        "Test files or directories to run (default: pytest's testpaths, else tests/ or test/).",
        "--tests-path",
    ),
    Setting(
        "tests-timeout",
        "seconds",
        900.0,
        "Seconds each run of the project's tests may take.",
        "--tests-timeout",
    ),
)
SETTING_NAMES = tuple(setting.name for setting in SETTINGS)
_BY_ATTR = {setting.attr: setting for setting in SETTINGS}


def setting_help(name: str) -> str:
    """The help text of a setting, for the CLI (one place says what a setting does)."""
    return _BY_ATTR[name.replace("-", "_")].help


def render_settings_table() -> str:
    """The README's table of settings, generated from :data:`SETTINGS`."""
    rows = ["| key | CLI flag | commands | default | what it does |", "|---|---|---|---|---|"]
    for setting in SETTINGS:
        default = (
            setting.default.value if isinstance(setting.default, Severity) else setting.default
        )
        shown = "none" if default in (None, (), {}) else f"`{_toml(default)}`"
        flag = f"`{setting.flag}`" if setting.flag else "-"
        rows.append(
            f"| `{setting.name}` | {flag} | {', '.join(setting.commands)} | {shown} | "
            f"{setting.help} |"
        )
    return "\n".join(rows) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f'"{value}"' if isinstance(value, str) else str(value)


def load_file_settings(directory: Path | None) -> tuple[dict[str, Any], str | None]:
    """Raw settings from ``mcheck.toml`` (preferred) or ``[tool.mcheck]``, and where they came from."""
    if directory is None:
        return {}, None
    dedicated = directory / "mcheck.toml"
    if dedicated.is_file():
        return read_toml(dedicated), str(dedicated)
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        tool = read_toml(pyproject).get("tool", {})
        table = tool.get("mcheck") if isinstance(tool, dict) else None
        if isinstance(table, dict):
            return table, f"{pyproject} [tool.mcheck]"
        if table is not None:
            raise UsageError(f"{pyproject}: tool.mcheck must be a table, not {table!r}")
    return {}, None


def resolve_settings(
    file_values: Mapping[str, Any], cli_values: Mapping[str, Any], origin: str | None = None
) -> Settings:
    """File settings overridden by every CLI/API value that is not None. Each source is validated on its
    own, so an error names the place the bad value came from."""
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, values in ((origin or "configuration", file_values), (COMMAND_LINE, cli_values)):
        given: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("_", "-")
            if name not in SETTING_NAMES:
                raise UsageError(
                    f"{source}: unknown setting {key!r}{_did_you_mean(name, SETTING_NAMES)}"
                )
            if value is not None:
                given[name.replace("-", "_")] = value
        validated = _validated(given, source)
        merged.update(validated)
        sources.update(dict.fromkeys(validated, source))
    return Settings(**merged, sources=sources)


def _validated(values: dict[str, Any], origin: str) -> dict[str, Any]:
    """The given values, type-checked and normalised by their declared kind; only the given keys."""
    return {
        key: _VALIDATORS[_BY_ATTR[key].kind](value, _BY_ATTR[key].name, origin)
        for key, value in values.items()
    }


def _as_tuple(value: Any, key: str, origin: str) -> tuple[str, ...]:
    """A string or a list of strings (TOML's two spellings), as a tuple; anything else is bad input."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UsageError(f"{origin}: {key} must be a string or a list of strings, not {value!r}")


def _codes(value: Any, key: str, origin: str) -> tuple[str, ...]:
    return tuple(_check_code(c, origin) for c in _as_tuple(value, key, origin))


def _names(value: Any, key: str, origin: str) -> tuple[str, ...]:
    if isinstance(value, os.PathLike):  # the API takes an interpreter's path as a Path object
        value = os.fspath(value)
    if isinstance(value, (list, tuple)):
        value = [os.fspath(item) if isinstance(item, os.PathLike) else item for item in value]
    return _as_tuple(value, key, origin)


def _path_codes(value: Any, key: str, origin: str) -> dict[str, tuple[str, ...]]:
    """A table ``{glob: codes}`` (a file), or ``GLOB:CODE,CODE`` strings (the CLI)."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = [_glob_and_codes(item, key, origin) for item in _as_tuple(value, key, origin)]
    return {str(glob): _codes(codes, key, origin) for glob, codes in pairs}


def _glob_and_codes(item: str, key: str, origin: str) -> tuple[str, list[str]]:
    glob, sep, codes = str(item).rpartition(":")
    if not sep or not glob or not codes.strip():
        raise UsageError(f"{origin}: {key} takes GLOB:CODE[,CODE...], not {item!r}")
    return glob, [c for c in codes.split(",") if c.strip()]


def _fail_on(value: Any, key: str, origin: str) -> Severity:
    if value not in ("error", "warning"):
        raise UsageError(f"{origin}: fail-on must be 'error' or 'warning', not {value!r}")
    return Severity(value)


def _text(value: Any, key: str, origin: str) -> str:
    if isinstance(value, os.PathLike):  # the API takes paths (env-file, python) as Path objects
        return os.fspath(value)
    if not isinstance(value, str):
        raise UsageError(f"{origin}: {key} must be a string, not {value!r}")
    return value


def _switch(value: Any, key: str, origin: str) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{origin}: {key} must be true or false, not {value!r}")
    return value


TESTS_MODES = ("both", "wheel-only")


def _tests_mode(value: Any, key: str, origin: str) -> str | None:
    """true: both runs; "wheel-only": only against the wheel; false or "off": no tests."""
    if value is True or value in TESTS_MODES:
        return "both" if value is True else value
    if value is False or value == "off":
        return None
    raise UsageError(
        f"{origin}: {key} must be true, false, 'both', 'wheel-only' or 'off', not {value!r}"
    )


def _seconds(value: Any, key: str, origin: str) -> float:
    """A finite positive number: ``inf`` would wait forever, NaN compares false to every deadline."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    seconds = float(value) if number else math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(
            f"{origin}: {key} must be a positive, finite number of seconds, not {value!r}"
        )
    return seconds


_VALIDATORS: dict[str, Callable[[Any, str, str], Any]] = {
    "codes": _codes,
    "names": _names,
    "path-codes": _path_codes,
    "fail-on": _fail_on,
    "seconds": _seconds,
    "text": _text,
    "switch": _switch,
    "tests-mode": _tests_mode,
}


def _check_code(selector: str, origin: str) -> str:
    selector = str(selector).strip().upper()
    if not codes_matching(selector):
        raise UsageError(
            f"{origin}: unknown code {selector!r}{_did_you_mean(selector, list(CATALOGUE))}"
        )
    return selector


def _did_you_mean(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _path_matches(path: str | None, pattern: str) -> bool:
    if path is None:
        return False
    candidates = {path, path.replace(".", "/")}
    return any(
        fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, pattern.rstrip("/") + "/*")
        for c in candidates
    )
