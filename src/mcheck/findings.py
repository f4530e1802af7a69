"""The one finding model every stage produces and every reporter formats."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.StrEnum):
    """How bad a finding is. Ordered: ``ERROR > WARNING > INFO``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Stage(enum.StrEnum):
    """The pipeline stage a finding (or a timing) belongs to, in pipeline order."""

    DISCOVER = "discover"
    BUILD = "build"
    INSTALL = "install"
    PROBE = "probe"
    DIFF = "diff"
    ANALYSE = "analyse"


@dataclass(frozen=True)
class Finding:
    """One problem mcheck found.

    ``path`` is whatever the finding is about: a wheel-relative file (``pkg/sub/mod.py``), a dotted
    module (``pkg.sub.mod``) or an import name (``yaml``). ``line`` is set when the finding points at
    a line of a shipped file. Severity and stage come from the catalogue entry of ``code``.
    """

    code: str
    path: str | None
    message: str
    hint: str | None = None
    line: int | None = None
    target: str | None = None

    @property
    def entry(self):  # -> catalogue.CodeInfo; imported lazily to keep this module dependency-free
        from mcheck.catalogue import CATALOGUE

        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.entry.severity

    @property
    def stage(self) -> Stage:
        return self.entry.stage

    def sort_key(self) -> tuple:
        return (list(Stage).index(self.stage), -self.severity.rank, self.code, self.path or "", self.line or 0)


@dataclass(frozen=True)
class StageTiming:
    name: str
    seconds: float
    ok: bool


@dataclass(frozen=True)
class ModuleCounts:
    imported: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass
class Report:
    """Everything one run of ``mcheck wheel`` on one target produced."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    stages: list[StageTiming] = field(default_factory=list)
    modules: ModuleCounts = field(default_factory=ModuleCounts)
    fail_on: Severity = Severity.ERROR

    @property
    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def exit_code(self) -> int:
        """0 when nothing at or above ``fail_on`` was found, else 1. (2 is for bad input, raised earlier.)"""
        return 1 if any(f.severity.rank >= self.fail_on.rank for f in self.findings) else 0
