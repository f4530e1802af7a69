"""The one protocol of every probe: typed answers, and the parsers from the scripts' JSON into them.

The scripts under :mod:`mcheck.probes.scripts` run *inside* the target venv and write JSON; the host
runner (:mod:`mcheck.probes.runner`) checks the protocol version and these parsers turn the answer into
the dataclasses below. Four probes speak it: the import probe (:class:`ProbeResult`), the app probe
(:class:`AppProbeResult`), the deploy target probe (:class:`TargetResult`) and the suite probe, which
runs the project's tests (:class:`SuiteResult`). Keep both sides in step:
the protocol is documented in ``docs/probe-protocol.md``. A malformed answer raises KeyError, TypeError
or ValueError; the callers turn that into :class:`mcheck.probes.runner.ProbeError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ModuleStatus = Literal["ok", "error", "timeout", "exited", "crashed"]
MODULE_STATUSES = ("ok", "error", "timeout", "exited", "crashed")


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    source: str = ""


@dataclass(frozen=True)
class ExceptionInfo:
    type: (
        str  # qualified for non-builtins: "jinja2.exceptions.TemplateError"; "ModuleNotFoundError"
    )
    message: str
    missing_name: str | None = None  # ImportError.name (the module that could not be found)
    frames: tuple[Frame, ...] = ()  # outermost first, the raising frame last
    chain: tuple[ExceptionInfo, ...] = ()  # __cause__ / __context__ exceptions, nearest first

    @property
    def raising_frame(self) -> Frame | None:
        return self.frames[-1] if self.frames else None


@dataclass(frozen=True)
class ImportOrder:
    """A module that failed imported alone and first, and imported in the retry after the other
    modules of its package (``package``) had been imported. ``loaded_by``: the module of that package
    whose import loaded it (the order a program that uses the package gets), when one did."""

    package: str
    loaded_by: str | None = None


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
    # Set by the host when the module failed here and imported after its package (the retry).
    import_order: ImportOrder | None = None


@dataclass(frozen=True)
class Distribution:
    name: str  # as in its metadata
    version: str
    requires: tuple[str, ...]  # raw Requires-Dist strings
    import_names: tuple[
        str, ...
    ]  # top-level import names it provides (packages_distributions inverted)


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


# --- the app probe --------------------------------------------------------------------------------

# "invalid": the value is not ``module[:attr]``; "attribute_missing": the module imported, the attribute
# did not resolve; "exited"/"crashed"/"timeout": importing the module killed or blocked the child.
EntryPointStatus = Literal[
    "ok", "invalid", "import_error", "attribute_missing", "timeout", "exited", "crashed"
]
# How far an app got: "ok" means it imported (and, for a factory, the factory returned something).
AppStatus = Literal[
    "ok",
    "invalid",
    "import_error",
    "attribute_missing",
    "factory_error",
    "timeout",
    "exited",
    "crashed",
]
# What the object behind the spec is, by its call signature (see the probe script's ``classify``).
AppKind = Literal["asgi3", "wsgi", "factory", "sync_asgi", "not_callable", "unknown"]
LifespanStatus = Literal["ok", "unsupported", "failed", "timeout"]


@dataclass(frozen=True)
class AppTarget:
    """An ASGI app to check, and where it was declared."""

    spec: str  # "pkg.app.main:app"
    factory: bool = (
        False  # the server is told to call it (``--factory``, gunicorn's ``create_app()``)
    )
    health: str | None = None  # "/api/health"
    source: str = "--asgi"  # "Procfile:1", "railway.toml:4", "[tool.mcheck]", "--asgi"
    command: tuple[
        str, ...
    ] = ()  # the deploy file's start command, for ``--serve``; () when not from one

    @property
    def module(self) -> str:
        return self.spec.partition(":")[0]


@dataclass(frozen=True)
class EntryPointResult:
    group: str  # "console_scripts"
    name: str  # "mytool"
    value: str  # "pkg.cli:main"
    status: EntryPointStatus
    error: ExceptionInfo | None = None  # for "import_error" and "attribute_missing"
    missing_attribute: str | None = None  # the first attribute of the chain that did not resolve
    exit_code: int | None = None
    signal: int | None = None
    output_tail: str = ""
    seconds: float = 0.0

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()


@dataclass(frozen=True)
class LifespanResult:
    status: LifespanStatus
    phase: Literal["startup", "shutdown"] = "startup"
    message: str = ""  # the app's ``lifespan.*.failed`` message, or what went wrong
    error: ExceptionInfo | None = None  # what the app raised, when it raised


@dataclass(frozen=True)
class HttpResult:
    path: str
    status: int | None  # None when the app never started a response
    body: str = ""  # the start of the body, decoded leniently
    error: ExceptionInfo | None = None  # what the app raised while handling the request
    timed_out: bool = False
    routes: tuple[str, ...] = ()  # on a 404: the GET paths the app's router declares

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class ServeResult:
    """The outcome of starting the real server command (``--serve``)."""

    command: tuple[str, ...]
    port: int
    ready: bool  # the server answered the readiness request acceptably
    url: str
    status: int | None = None  # the last HTTP status seen
    body: str = ""
    reason: str = ""  # why it is not ready: "exited with code 1", "no answer within 30s", ...
    log_tail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class AppResult:
    target: AppTarget
    status: AppStatus
    kind: AppKind | None = None  # None when the object could not be obtained
    signature: str = ""  # "(scope, receive, send)", for the MC403 message
    factory_result_kind: AppKind | None = (
        None  # a factory without --factory: what calling it returned
    )
    error: ExceptionInfo | None = None
    missing_attribute: str | None = None
    lifespan: LifespanResult | None = None
    http: HttpResult | None = None
    serve: ServeResult | None = None
    exit_code: int | None = None
    signal: int | None = None
    output_tail: str = ""
    seconds: float = 0.0

    @property
    def spec(self) -> str:
        return self.target.spec

    @property
    def exercised_cleanly(self) -> bool:
        """Imported, an ASGI app as declared, started, and answered the health path (if any) with 2xx.

        ``--serve`` only needs to start apps for which this holds: the others already have a finding.
        """
        asgi = self.factory_result_kind == "asgi3" if self.target.factory else self.kind == "asgi3"
        lifespan_ok = self.lifespan is None or self.lifespan.status in ("ok", "unsupported")
        return self.status == "ok" and asgi and lifespan_ok and (self.http is None or self.http.ok)


@dataclass(frozen=True)
class AppProbeResult:
    entry_points: tuple[EntryPointResult, ...] = ()
    apps: tuple[AppResult, ...] = ()


# --- the deploy target probe ----------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """A service's start target imported the way its host will (``mcheck deploy``)."""

    missing: tuple[str, ...] = ()  # third-party top-level names the service's venv cannot find
    ok: bool = False  # the module imported (or the script ran) without raising
    has_attr: bool | None = None  # the start command's attribute exists; None when none is named
    error: ExceptionInfo | None = None


CaseOutcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
CASE_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
FAILING_OUTCOMES = ("failed", "error")


@dataclass(frozen=True)
class CaseResult:
    """One test as pytest ran it: the worst outcome of its setup, call and teardown."""

    nodeid: str  # "tests/test_render.py::test_page", relative to the rootdir
    outcome: CaseOutcome
    seconds: float
    file: str | None = None  # rootdir-relative file pytest located the test in
    line: int | None = None  # 1-based
    crash: str | None = None  # "FileNotFoundError: [Errno 2] No such file or directory: '...'"
    longrepr: str | None = None  # the end of pytest's failure report

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING_OUTCOMES


@dataclass(frozen=True)
class CollectionError:
    """A test file (or directory) pytest could not collect: usually an import that failed."""

    nodeid: str
    crash: str | None = None
    longrepr: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    """One pytest run of the project's tests, against the wheel or against the checkout."""

    exit_code: int | None  # pytest's; None when pytest itself could not run (see ``error``)
    collected: int
    cases: tuple[CaseResult, ...] = ()
    collection_errors: tuple[CollectionError, ...] = ()
    error: str | None = None
    finished: bool = True  # False: stopped at the timeout, ``cases`` are those that had finished

    def case(self, nodeid: str) -> CaseResult | None:
        return next((c for c in self.cases if c.nodeid == nodeid), None)


# --- parsers: the scripts' JSON -> the answers above ----------------------------------------------


def parse_loaded_by(data: dict[str, Any]) -> dict[str, str]:
    """The retry's ``loaded_by`` (module -> the module of ``first`` whose import loaded it)."""
    return {str(name): str(by) for name, by in (data.get("loaded_by") or {}).items()}


def parse_import_answer(data: dict[str, Any]) -> ProbeResult:
    return ProbeResult(
        python_version=str(data["python_version"]),
        platform=str(data["platform"]),
        stdlib_module_names=frozenset(map(str, data["stdlib_module_names"])),
        sys_path=tuple(map(str, data["sys_path"])),
        modules={str(name): _module(raw) for name, raw in data["modules"].items()},
        distributions=tuple(_distribution(raw) for raw in data["distributions"]),
    )


def parse_app_answer(
    data: dict[str, Any], apps: tuple[AppTarget, ...] | list[AppTarget]
) -> AppProbeResult:
    """``apps`` are the targets in the order they were sent."""
    entry_points = tuple(_entry_point(raw) for raw in data.get("entry_points", []))
    results = tuple(
        _app(target, raw) for target, raw in zip(apps, data.get("apps", []), strict=True)
    )
    return AppProbeResult(entry_points=entry_points, apps=results)


def parse_target_answer(data: dict[str, Any]) -> TargetResult:
    has_attr = data.get("has_attr")
    return TargetResult(
        missing=tuple(map(str, data.get("missing") or ())),
        ok=bool(data["ok"]),
        has_attr=None if has_attr is None else bool(has_attr),
        error=parse_exception(data.get("error")),
    )


def parse_suite_answer(data: dict[str, Any]) -> SuiteResult:
    return SuiteResult(
        exit_code=_opt_int(data.get("exit_code")),
        collected=int(data.get("collected") or 0),
        cases=tuple(map(parse_case, data.get("cases") or ())),
        collection_errors=tuple(
            CollectionError(
                str(raw["nodeid"]), _opt_str(raw.get("crash")), _opt_str(raw.get("longrepr"))
            )
            for raw in data.get("collection_errors") or ()
        ),
        error=_opt_str(data.get("error")),
    )


def parse_case(raw: dict[str, Any]) -> CaseResult:
    """One line of the suite probe's ``.cases`` stream, or one entry of its answer."""
    outcome = raw["outcome"]
    if outcome not in CASE_OUTCOMES:
        raise ValueError(f"unknown test outcome {outcome!r}")
    return CaseResult(
        nodeid=str(raw["nodeid"]),
        outcome=outcome,
        seconds=float(raw.get("seconds") or 0.0),
        file=_opt_str(raw.get("file")),
        line=_opt_int(raw.get("line")),
        crash=_opt_str(raw.get("crash")),
        longrepr=_opt_str(raw.get("longrepr")),
    )


def parse_exception(raw: dict[str, Any] | None) -> ExceptionInfo | None:
    if not raw:
        return None
    frames = tuple(
        Frame(str(f["file"]), int(f["line"]), str(f["function"]), str(f.get("source") or ""))
        for f in raw.get("frames") or ()
    )
    return ExceptionInfo(
        type=str(raw["type"]),
        message=str(raw["message"]),
        missing_name=_opt_str(raw.get("missing_name")),
        frames=frames,
        chain=tuple(e for e in map(parse_exception, raw.get("chain") or ()) if e),
    )


def _module(raw: dict[str, Any]) -> ModuleResult:
    status = raw["status"]
    if status not in MODULE_STATUSES:
        raise ValueError(f"unknown module status {status!r}")
    return ModuleResult(
        name=str(raw["name"]),
        status=status,
        seconds=float(raw["seconds"]),
        file=_opt_str(raw.get("file")),
        version=_opt_str(raw.get("version")),
        error=parse_exception(raw.get("error")),
        exit_code=_opt_int(raw.get("exit_code")),
        signal=_opt_int(raw.get("signal")),
        output_tail=str(raw.get("output_tail") or ""),
    )


def _distribution(raw: dict[str, Any]) -> Distribution:
    return Distribution(
        name=str(raw["name"]),
        version=str(raw["version"]),
        requires=tuple(map(str, raw.get("requires") or ())),
        import_names=tuple(map(str, raw.get("import_names") or ())),
    )


def _entry_point(raw: dict[str, Any]) -> EntryPointResult:
    return EntryPointResult(
        group=raw["group"],
        name=raw["name"],
        value=raw["value"],
        status=raw["status"],
        error=parse_exception(raw.get("error")),
        missing_attribute=raw.get("missing_attribute"),
        exit_code=raw.get("exit_code"),
        signal=raw.get("signal"),
        output_tail=raw.get("output_tail") or "",
        seconds=float(raw.get("seconds") or 0.0),
    )


def _app(target: AppTarget, raw: dict[str, Any]) -> AppResult:
    lifespan, http = raw.get("lifespan"), raw.get("http")
    return AppResult(
        target=target,
        status=raw["status"],
        kind=raw.get("kind"),
        signature=raw.get("signature") or "",
        factory_result_kind=raw.get("factory_result_kind"),
        error=parse_exception(raw.get("error")),
        missing_attribute=raw.get("missing_attribute"),
        lifespan=_lifespan(lifespan) if lifespan else None,
        http=_http(http) if http else None,
        exit_code=raw.get("exit_code"),
        signal=raw.get("signal"),
        output_tail=raw.get("output_tail") or "",
        seconds=float(raw.get("seconds") or 0.0),
    )


def _lifespan(raw: dict[str, Any]) -> LifespanResult:
    return LifespanResult(
        status=raw["status"],
        phase=raw["phase"],
        message=raw["message"],
        error=parse_exception(raw.get("error")),
    )


def _http(raw: dict[str, Any]) -> HttpResult:
    return HttpResult(
        path=raw["path"],
        status=raw["status"],
        body=raw["body"],
        error=parse_exception(raw.get("error")),
        timed_out=raw["timed_out"],
        routes=tuple(p for p in raw.get("routes", []) if isinstance(p, str)),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
