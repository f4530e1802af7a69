"""Typed results of the import probe (the host side of the JSON protocol).

The probe script (:mod:`mcheck.probes.scripts.import_probe`) runs *inside* the target venv and writes JSON;
:func:`mcheck.probes.imports.run_import_probe` parses that JSON into these objects. Keep both sides in step:
the protocol is documented in ``docs/probe-protocol.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ModuleStatus = Literal["ok", "error", "timeout", "exited", "crashed"]


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    source: str = ""


@dataclass(frozen=True)
class ExceptionInfo:
    type: str  # qualified for non-builtins: "jinja2.exceptions.TemplateError"; "ModuleNotFoundError"
    message: str
    missing_name: str | None = None  # ImportError.name (the module that could not be found)
    frames: tuple[Frame, ...] = ()  # outermost first, the raising frame last
    chain: tuple[ExceptionInfo, ...] = ()  # __cause__ / __context__ exceptions, nearest first

    @property
    def raising_frame(self) -> Frame | None:
        return self.frames[-1] if self.frames else None


@dataclass(frozen=True)
class ModuleResult:
    name: str
    status: ModuleStatus
    seconds: float
    file: str | None = None  # module.__file__ when imported
    version: str | None = None  # str(module.__version__) when it is a str
    error: ExceptionInfo | None = None
    exit_code: int | None = None  # for "exited"
    signal: int | None = None  # for "crashed"
    output_tail: str = ""  # last few KB of what the import printed


@dataclass(frozen=True)
class Distribution:
    name: str  # as in its metadata
    version: str
    requires: tuple[str, ...]  # raw Requires-Dist strings
    import_names: tuple[str, ...]  # top-level import names it provides (packages_distributions inverted)


@dataclass(frozen=True)
class ProbeResult:
    python_version: str
    platform: str  # sys.platform inside the venv
    stdlib_module_names: frozenset[str]
    sys_path: tuple[str, ...]
    modules: dict[str, ModuleResult] = field(default_factory=dict)
    distributions: tuple[Distribution, ...] = ()

    def distributions_providing(self, import_name: str) -> list[Distribution]:
        return [d for d in self.distributions if import_name in d.import_names]
