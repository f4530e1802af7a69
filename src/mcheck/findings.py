"""The one finding model every stage produces and every reporter formats."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal


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
    TEST = "test"  # the project's own tests, against the wheel (``--tests``)


SubjectKind = Literal["file", "module", "entry_point", "app"]


@dataclass(frozen=True)
class Edit:
    """One file change of a fix: ``change`` turns the file's text (None: it does not exist) into
    its new text. A function, not a text, so that fixes touching the same file compose."""

    path: str  # relative to the project root
    change: Callable[[str | None], str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Fix:
    """The mechanical fix of a finding, as ``--fix`` applies it once a re-run proved it."""

    description: str  # "add src/pkg/templates/__init__.py"
    edits: tuple[Edit, ...]
    # The fix as written once proven, from what the proof run installed (canonical distribution
    # name -> version): a declared dependency gets the proven version as its lower bound.
    refine: Callable[[Mapping[str, str]], Fix] | None = field(
        default=None, compare=False, repr=False
    )

    def refined(self, installed: Mapping[str, str]) -> Fix:
        return self.refine(installed) if self.refine is not None else self


@dataclass(frozen=True)
class Finding:
    """One problem mcheck found: what it is about, and where.

    ``path`` names what the finding is about and ``kind`` says what that is, so no reporter has to
    guess: a ``"file"`` (wheel-relative ``pkg/sub/mod.py``, or repository-relative for deploy files and
    sources; ``line`` is then a line of it), a ``"module"`` (``pkg.sub.mod``), an ``"entry_point"``
    (its value, ``pkg.cli:main``) or an ``"app"`` (its spec, ``pkg.app:app``). None: the project as a
    whole. Severity and stage come from the catalogue entry of ``code``, which must exist.

    ``repo_path`` is where the subject lives in the repository, relative to the git top level
    (``packages/core/src/pkg/sub/mod.py``; for a module, its file). Checks never set it: the pipeline
    fills it in one place once every finding is made, so code-scanning outputs can point at a file
    GitHub knows.
    """

    code: str
    path: str | None
    message: str
    hint: str | None = None
    line: int | None = None
    repo_path: str | None = None
    # Further subjects that fail the same way, for one root cause reported once (40 modules that all
    # need an undeclared `pkg_resources`): the finding's `path` is the first of them.
    affects: tuple[str, ...] = ()
    kind: SubjectKind = "file"
    # The interpreters (``3.10``) the finding occurs on, when a run checked several and it occurs on
    # some of them only; empty: on every interpreter checked.
    pythons: tuple[str, ...] = ()
    # What ``--fix`` can apply for it (not part of a finding's identity).
    fix: Fix | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        from mcheck.catalogue import CATALOGUE

        if self.code not in CATALOGUE:
            raise ValueError(f"a finding with a code that is not in the catalogue: {self.code!r}")

    @property
    def file(self) -> str | None:
        """The file to point a code-scanning location at: the repository path when known, else the
        subject itself when it is a file; None for a module nobody mapped to a file, or the project."""
        return self.repo_path or (self.path if self.kind == "file" else None)

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
        return (
            list(Stage).index(self.stage),
            -self.severity.rank,
            self.code,
            self.path or "",
            self.line or 0,
        )


@dataclass(frozen=True)
class StageTiming:
    name: str
    seconds: float
    ok: bool


class ModuleStatus(enum.StrEnum):
    """What the import probe made of one shipped module."""

    OK = "ok"  # imported cleanly from the installed wheel
    FAILED = "failed"  # a kept MC301/MC302/MC303 finding names it
    SKIPPED = (
        "skipped"  # not imported, optional (MC304), or its failure is ignored by the configuration
    )


@dataclass(frozen=True)
class ModuleOutcome:
    """One shipped module's import result; ``seconds`` is None when the probe never imported it."""

    name: str
    status: ModuleStatus
    seconds: float | None = None
    reason: str | None = None  # why it was skipped; a failed module's reason is its finding
    python: str | None = None  # the interpreter (``3.12``) when a run checked several


@dataclass(frozen=True)
class ModuleCounts:
    imported: int = 0
    failed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[ModuleOutcome]) -> ModuleCounts:
        statuses = [o.status for o in outcomes]
        return cls(
            imported=statuses.count(ModuleStatus.OK),
            failed=statuses.count(ModuleStatus.FAILED),
            skipped=statuses.count(ModuleStatus.SKIPPED),
        )


@dataclass(frozen=True)
class AppOutcome:
    """How one declared ASGI app fared: exercised in-process from the installed wheel, or served for real."""

    spec: str  # "pkg.app.main:app"
    source: str  # where it was declared: "railway.toml:7", "--asgi", "[tool.mcheck]"
    mode: str  # "in-process", or "serve" (the real start command, ``--serve``)
    ok: bool  # imported as an ASGI app, started, and answered the health path (any path when none) as required
    health: str | None = None  # the path requested; None when no health path is known
    status: int | None = None  # the HTTP status answered; None when no request was answered
    seconds: float = 0.0
    command: tuple[str, ...] = ()  # the server command that was run (mode "serve")
    python: str | None = None  # the interpreter (``3.12``) when a run checked several


@dataclass(frozen=True)
class SuiteCase:
    """One test of the project's suite (``--tests``): its outcome against the wheel and on the checkout.

    Outcomes are pytest's (passed, failed, error, skipped, xfailed, xpassed) plus "uncollected": its
    file could not be collected on that side. ``checkout`` is None when the checkout run was not made
    (``--tests=wheel-only``) or did not have this test; ``code`` is the finding it got (MC701-MC703).
    """

    nodeid: str  # relative to the pytest rootdir: "tests/test_render.py::test_page"
    wheel: str | None
    checkout: str | None
    seconds: float = 0.0  # against the wheel
    code: str | None = None
    detail: str | None = None  # the failure's one line (``FileNotFoundError: ...``)
    python: str | None = None  # the interpreter (``3.12``) when a run checked several


@dataclass(frozen=True)
class SuiteCounts:
    """The tests' tally: how many ran against the wheel, and how many of those failed why."""

    ran: int = 0  # collected and run against the wheel (each once per interpreter)
    failed: int = 0  # failed or errored against the wheel
    packaging: int = 0  # of all tests, failing because of the packaging (MC701, MC703)
    code: int = 0  # failing on the checkout too (MC702)

    @classmethod
    def of(cls, cases: Iterable[SuiteCase]) -> SuiteCounts:
        cases = list(cases)
        ran = [c for c in cases if c.wheel not in (None, "uncollected")]
        return cls(
            ran=len(ran),
            failed=sum(1 for c in ran if c.wheel in ("failed", "error")),
            packaging=sum(1 for c in cases if c.code in ("MC701", "MC703")),
            code=sum(1 for c in cases if c.code == "MC702"),
        )


@dataclass(frozen=True)
class SuiteSummary:
    """What ``--tests`` ran: for the text summary and the JSON ``tests_run``."""

    paths: tuple[str, ...]
    chosen_by: str
    requirements_from: str
    mode: str  # "both", "wheel-only"
    collected: int = 0  # against the wheel (on the first interpreter)


@dataclass(frozen=True)
class FixOutcome:
    """What ``--fix``/``--diff`` did with one finding's fix."""

    code: str
    path: str | None
    description: str
    status: str  # "applied", "proven" (--diff: not written), "not proven", "refused"
    reason: str | None = None  # why it was not proven or refused
    follow_up: bool = False  # the finding was not in the run: another fix exposed it


@dataclass
class Report:
    """Everything one run of ``mcheck wheel`` on one target produced."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    stages: list[StageTiming] = field(default_factory=list)
    modules: ModuleCounts = field(default_factory=ModuleCounts)
    module_outcomes: list[ModuleOutcome] = field(default_factory=list)  # in module-name order
    apps: list[AppOutcome] = field(default_factory=list)  # ASGI apps checked, in-process ones first
    # Repository path of the project's pyproject.toml (or setup.py): where code-scanning outputs anchor
    # findings that name no file, because GitHub code scanning rejects a result without a file location.
    project_file: str | None = None
    fail_on: Severity = Severity.ERROR
    # (path, how it was found) of the repository the target belongs to, when the command looked for it
    repository_root: tuple[str, str] | None = None
    # The interpreters the wheel was imported with (full versions, oldest first), and why those.
    pythons: list[str] = field(default_factory=list)
    pythons_chosen: str | None = None
    tests: list[SuiteCase] = field(default_factory=list)  # with --tests, in nodeid order
    suite: SuiteSummary | None = None  # with --tests, when a suite was found and run
    fixes: list[FixOutcome] = field(default_factory=list)  # with --fix/--diff
    fix_diff: str | None = None  # with --diff: the proven fixes as a unified diff
    # What the probe's venv had installed (canonical distribution name -> version): --fix reads it
    # from a proof run; no reporter prints it.
    installed: dict[str, str] = field(default_factory=dict)
    # When the findings were computed (ISO 8601, UTC) if this run replayed them from the result cache
    # (mcheck.cache.results) because nothing they depend on changed; None: computed by this run.
    computed_at: str | None = None

    @property
    def cached(self) -> bool:
        return self.computed_at is not None

    @property
    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def exit_code(self) -> int:
        """0 when nothing at or above ``fail_on`` was found, else 1. (2 is for bad input, raised earlier.)"""
        return 1 if any(f.severity.rank >= self.fail_on.rank for f in self.findings) else 0
